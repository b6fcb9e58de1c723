import { addToTime, jobChange, parseDuration, taskChange, workerQueue, type TaskStarted } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/** The worker enforces a timeout itself; the scheduler steps in this much later, if the worker died. */
export const DEADLINE_GRACE_MS = 10_000;

/** Handles the `started` queue: the task and its job are RUNNING. */
export async function handleStarted(ctx: SchedulerContext, message: TaskStarted): Promise<void> {
  // The worker echoes the task's timeout, which saves reading the task back on this hot path. The
  // deadline runs from receipt, on the scheduler's clock, which the sweep compares it with.
  const timeoutMs = message.timeout === undefined ? undefined : parseDuration(message.timeout);
  // addToTime never throws: a timeout too large for a Date leaves the task without a deadline.
  const deadlineAt =
    timeoutMs === undefined ? undefined : addToTime(ctx.now(), timeoutMs + DEADLINE_GRACE_MS);
  const task = await ctx.datastore.updateTask(
    message.taskId,
    taskChange('start', message.at, {
      nodeId: message.nodeId,
      ...(deadlineAt === undefined ? {} : { deadlineAt }),
    }),
  );
  if (task === undefined) {
    const now = await ctx.datastore.getTask(message.taskId);
    // One run per task: a worker starting a task that has ended (cancelled before it was picked
    // up, or done) or that runs elsewhere (a task sent again) stops its copy.
    const ended = now?.state === 'CANCELLED' || now?.state === 'COMPLETED' || now?.state === 'FAILED';
    const elsewhere = now?.state === 'RUNNING' && now.nodeId !== message.nodeId;
    if (ended || elsewhere) {
      ctx.logger.info(
        { taskId: message.taskId, nodeId: message.nodeId, state: now.state, runsOn: now.nodeId },
        'a worker started a task that ended or runs elsewhere; cancelling its copy',
      );
      await ctx.broker.publish(workerQueue(message.nodeId), { type: 'task.cancel', taskId: message.taskId });
    }
    return;
  }
  await ctx.datastore.updateJob(message.jobId, jobChange('start', message.at));
}
