import { newId } from './ids.js';
import type { JobSpec } from './job-spec.schema.js';
import type { Job } from './job.js';
import type { CreatedBy } from './principal.js';
import { DEFAULT_QUEUE } from './queues.js';
import { retryDelayMs } from './retry-delay.js';
import type { Task } from './task.js';

/**
 * Pure decisions about how a job moves forward. Scheduler handlers load state, ask these
 * functions what follows, persist it with compare-and-set, and publish the messages.
 */

export function newJob(spec: JobSpec, now: string, createdBy?: CreatedBy): Job {
  return {
    id: newId(),
    ...(spec.name === undefined ? {} : { name: spec.name }),
    state: 'PENDING',
    tasks: spec.tasks,
    position: 0,
    createdAt: now,
    ...(createdBy === undefined ? {} : { createdBy: { kind: createdBy.kind, name: createdBy.name } }),
    ...(spec.permissions === undefined ? {} : { permissions: spec.permissions }),
  };
}

/** A fresh PENDING execution of the job's task at `position`. */
export function newTask(job: Job, position: number, attempt: number, now: string): Task {
  const spec = job.tasks[position];
  if (spec === undefined) throw new RangeError(`job ${job.id} has no task at position ${position}`);
  return {
    id: newId(),
    jobId: job.id,
    position,
    attempt,
    state: 'PENDING',
    spec,
    queue: spec.queue ?? DEFAULT_QUEUE,
    createdAt: now,
  };
}

export type AfterCompleted =
  | { readonly kind: 'next'; readonly position: number }
  | { readonly kind: 'complete'; readonly result?: string };

/** After a task completes: run the next task, or complete the job with the last task's result. */
export function afterTaskCompleted(job: Job, task: Task): AfterCompleted {
  const next = task.position + 1;
  if (next < job.tasks.length) return { kind: 'next', position: next };
  return task.result === undefined ? { kind: 'complete' } : { kind: 'complete', result: task.result };
}

export type AfterFailed =
  | { readonly kind: 'retry'; readonly task: Task; readonly delayMs: number }
  | { readonly kind: 'fail'; readonly error: string };

/**
 * After a task fails: while its retry limit allows, a new attempt waits `retryDelayMs` and
 * runs; otherwise the job fails with the task's error and no later task starts.
 */
export function afterTaskFailed(job: Job, task: Task, now: string): AfterFailed {
  const retry = task.spec.retry;
  const retriesDone = task.attempt - 1;
  if (retry === undefined || retriesDone >= retry.limit)
    return { kind: 'fail', error: task.error ?? 'task failed' };
  const delayMs = retryDelayMs(retry, task.attempt);
  const next = newTask(job, task.position, task.attempt + 1, now);
  return {
    kind: 'retry',
    delayMs,
    task: { ...next, runAt: new Date(Date.parse(now) + delayMs).toISOString() },
  };
}

/** A task whose worker died is run again at least this often, whatever its retry policy. */
export const MIN_WORKER_LOSS_RERUNS = 2;

/**
 * After a task's worker died while running it (the task FAILED with `workerLost`): a worker's
 * death is not the task's fault, so the task runs again at once, on another worker, as a new
 * attempt, up to its retry limit and at least {@link MIN_WORKER_LOSS_RERUNS} times; then the job fails.
 */
export function afterWorkerLost(job: Job, task: Task, now: string): AfterFailed {
  const allowed = Math.max(task.spec.retry?.limit ?? 0, MIN_WORKER_LOSS_RERUNS);
  if (task.attempt - 1 >= allowed) return { kind: 'fail', error: task.error ?? 'worker lost' };
  return { kind: 'retry', delayMs: 0, task: newTask(job, task.position, task.attempt + 1, now) };
}
