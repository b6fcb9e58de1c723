import type { TaskProgress } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/** Handles the `progress` queue: a running task's progress, and its job's, are stored; a late one is ignored. */
export async function handleProgress(ctx: SchedulerContext, message: TaskProgress): Promise<void> {
  await ctx.datastore.tasks.recordProgress(message.taskId, message.progress);
}
