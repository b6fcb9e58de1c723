import { addToTime, jobChange, parseDuration, taskChange, workerQueue, type TaskStarted } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/** The worker enforces a timeout itself; the scheduler steps in this much later, if the worker died. */
export const DEADLINE_GRACE_MS = 10_000;

/** Handles the `started` queue: the task and its job are RUNNING. */
export async function handleStarted(ctx: SchedulerContext, message: TaskStarted): Promise<void> {
  // The worker echoes the task's timeout, which saves reading the task back on this hot path.
  const timeoutMs = message.timeout === undefined ? undefined : parseDuration(message.timeout);
  // addToTime never throws: a timeout too large for a Date leaves the task without a deadline.
  const deadlineAt =
    timeoutMs === undefined ? undefined : addToTime(message.at, timeoutMs + DEADLINE_GRACE_MS);
  const task = await ctx.datastore.updateTask(
    message.taskId,
    taskChange('start', message.at, {
      nodeId: message.nodeId,
      ...(deadlineAt === undefined ? {} : { deadlineAt }),
    }),
  );
  if (task === undefined) {
    const now = await ctx.datastore.getTask(message.taskId);
    // A task cancelled before its worker picked it up must not keep running there.
    if (now?.state === 'CANCELLED') {
      await ctx.broker.publish(workerQueue(message.nodeId), { type: 'task.cancel', taskId: message.taskId });
    }
    return;
  }
  await ctx.datastore.updateJob(message.jobId, jobChange('start', message.at));
}
