import { afterTaskFailed, jobChange, taskChange, type TaskFailed } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/** Handles the `error` queue: the task is FAILED, and its job fails with the task's error. */
export async function handleError(ctx: SchedulerContext, message: TaskFailed): Promise<void> {
  const failed = await ctx.datastore.updateTask(
    message.taskId,
    taskChange('fail', message.at, { error: message.error, nodeId: message.nodeId }),
  );
  const task = failed ?? (await ctx.datastore.getTask(message.taskId));
  if (task?.state !== 'FAILED') return;
  const next = afterTaskFailed(task);
  await ctx.datastore.updateJob(task.jobId, jobChange('fail', ctx.now(), { error: next.error }));
}
