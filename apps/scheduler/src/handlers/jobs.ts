import { jobChange, newTask, taskChange, workerQueue, type JobsMessage } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { enqueueIfPending, scheduleIfPending } from './pending.js';

/** Handles the `jobs` queue: a submitted job gets its first task. */
export async function handleJobs(ctx: SchedulerContext, message: JobsMessage): Promise<void> {
  switch (message.type) {
    case 'job.submitted':
      await startJob(ctx, message.jobId);
      return;
    case 'job.cancel':
      await cancelJob(ctx, message.jobId);
      return;
  }
}

async function startJob(ctx: SchedulerContext, jobId: string): Promise<void> {
  const job = await ctx.datastore.getJob(jobId);
  if (job === undefined) {
    ctx.logger.warn({ jobId }, 'submitted job not found; dropping the message');
    return;
  }
  if (job.state !== 'PENDING') return; // a duplicate: the first delivery already started it
  // createTask is idempotent per (job, position, attempt): a redelivery finds the same task.
  const task = await ctx.datastore.createTask(newTask(job, 0, 1, ctx.now()));
  const scheduled = await ctx.datastore.updateJob(job.id, jobChange('schedule', ctx.now()));
  // Not ours to schedule (a concurrent duplicate did, or a cancel came): `pending` checks the job again.
  if (scheduled === undefined) await enqueueIfPending(ctx, task);
  else await scheduleIfPending(ctx, task);
}

async function cancelJob(ctx: SchedulerContext, jobId: string): Promise<void> {
  const job = await ctx.datastore.getJob(jobId);
  if (job === undefined) return;
  await ctx.datastore.updateJob(job.id, jobChange('cancel', ctx.now()));
  const tasks = await ctx.datastore.listTasks(job.id);
  for (const task of tasks) {
    const cancelled = await ctx.datastore.updateTask(task.id, taskChange('cancel', ctx.now()));
    if (cancelled?.nodeId !== undefined) {
      await ctx.broker.publish(workerQueue(cancelled.nodeId), { type: 'task.cancel', taskId: cancelled.id });
    }
  }
}
