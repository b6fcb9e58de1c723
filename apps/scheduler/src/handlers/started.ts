import { jobChange, taskChange, workerQueue, type TaskStarted } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/** Handles the `started` queue: the task and its job are RUNNING. */
export async function handleStarted(ctx: SchedulerContext, message: TaskStarted): Promise<void> {
  const task = await ctx.datastore.updateTask(
    message.taskId,
    taskChange('start', message.at, { nodeId: message.nodeId }),
  );
  if (task === undefined) {
    const current = await ctx.datastore.getTask(message.taskId);
    // A task cancelled before its worker picked it up must not keep running there.
    if (current?.state === 'CANCELLED') {
      await ctx.broker.publish(workerQueue(message.nodeId), { type: 'task.cancel', taskId: message.taskId });
    }
    return;
  }
  await ctx.datastore.updateJob(message.jobId, jobChange('start', message.at));
}
