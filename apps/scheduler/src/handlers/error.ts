import {
  afterTaskFailed,
  afterWorkerLost,
  jobChange,
  taskChange,
  type AfterFailed,
  type Job,
  type Task,
  type TaskFailed,
} from '@tork/domain';
import { enqueueIfPending } from './pending.js';
import type { SchedulerContext } from '../scheduler-context.js';

/**
 * Handles the `error` queue: the task is FAILED; then a retry waits its delay, or the job
 * fails with the task's error.
 */
export async function handleError(ctx: SchedulerContext, message: TaskFailed): Promise<void> {
  const failed = await ctx.datastore.updateTask(
    message.taskId,
    taskChange('fail', message.at, {
      error: message.error,
      nodeId: message.nodeId,
      ...(message.steps === undefined ? {} : { steps: message.steps }),
      ...(message.startedAt === undefined ? {} : { startedAt: message.startedAt }),
    }),
  );
  const task = failed ?? (await ctx.datastore.getTask(message.taskId));
  if (task?.state !== 'FAILED') return;
  await failTask(ctx, task.jobId, task.id, message.workerLost === true ? afterWorkerLost : afterTaskFailed);
}

/**
 * What follows a FAILED task; idempotent, so a redelivered failure finishes what the first began.
 * `decide` is the domain's rule: the task's retry policy, or the rule for a worker that died.
 */
export async function failTask(
  ctx: SchedulerContext,
  jobId: string,
  taskId: string,
  decide: (job: Job, task: Task, now: string) => AfterFailed = afterTaskFailed,
): Promise<void> {
  const [job, task] = await Promise.all([ctx.datastore.getJob(jobId), ctx.datastore.getTask(taskId)]);
  if (job === undefined || task?.state !== 'FAILED') return;
  const next = decide(job, task, ctx.now());
  switch (next.kind) {
    case 'retry': {
      if (job.state !== 'SCHEDULED' && job.state !== 'RUNNING') return; // cancelled meanwhile: no retry
      const retry = await ctx.datastore.createTask(next.task);
      if (retry.state === 'PENDING') {
        if (retry.runAt === undefined) await enqueueIfPending(ctx, retry);
        else ctx.retryTimers.schedule(retry);
      }
      ctx.logger.info(
        { jobId, taskId, retryTaskId: retry.id, attempt: retry.attempt, delayMs: next.delayMs },
        'task failed; retrying',
      );
      return;
    }
    case 'fail':
      await ctx.datastore.updateJob(jobId, jobChange('fail', ctx.now(), { error: next.error }));
      return;
  }
}
