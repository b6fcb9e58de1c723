import type { TaskProgress } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { enqueueProgressDeliveries } from '../webhooks/progress-deliveries.js';

/**
 * Handles the `progress` queue: a running task's progress, and its job's, are stored, with the
 * webhook deliveries they call for (sent later by the webhook sender); a late one is ignored.
 */
export async function handleProgress(ctx: SchedulerContext, message: TaskProgress): Promise<void> {
  if (await ctx.datastore.tasks.recordProgress(message.taskId, message.progress))
    await enqueueProgressDeliveries(ctx, message.jobId, message.taskId);
}
