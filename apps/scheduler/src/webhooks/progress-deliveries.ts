import { newId, type NewProgressDelivery } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { wantedWebhooks } from './wanted-webhooks.js';

/**
 * Records in the outbox the deliveries a stored progress calls for: `task.Progress` with the
 * task's summary and, when a top-level task moved its job's progress, `job.Progress` with the job's
 * (each webhook's `if` honoured). The outbox coalesces them while they wait; nothing is sent here.
 */
export async function enqueueProgressDeliveries(
  ctx: SchedulerContext,
  jobId: string,
  taskId: string,
): Promise<void> {
  const job = await ctx.datastore.jobs.get(jobId);
  const events = new Set((job?.webhooks ?? []).map((webhook) => webhook.event));
  const forTask = events.has('task.Progress');
  if (job === undefined || (!forTask && !events.has('job.Progress'))) return;
  const task = await ctx.datastore.tasks.get(taskId);
  if (task === undefined) return;
  const forJob = events.has('job.Progress') && task.parentId === undefined;
  const createdAt = ctx.now();
  const deliveries: NewProgressDelivery[] = [
    ...(forTask
      ? wantedWebhooks(ctx, 'task.Progress', job, job.state, { record: task, state: task.state }).map(
          (match) => ({ ...match, taskId, event: 'task.Progress' as const }),
        )
      : []),
    ...(forJob
      ? wantedWebhooks(ctx, 'job.Progress', job, job.state).map((match) => ({
          ...match,
          event: 'job.Progress' as const,
        }))
      : []),
  ].map((match) => ({ id: newId(), jobId, createdAt, ...match }));
  if (deliveries.length === 0) return;
  await ctx.datastore.webhooks.enqueueProgress(deliveries);
  ctx.webhooksEnqueued?.();
}
