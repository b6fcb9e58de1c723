import { parseDuration } from '../duration.js';
import { errorMessage } from '../errors.js';
import { isJobActive, type Job, type JobContext } from '../job.js';
import { isRetryable, isTaskDone, MAX_HAND_BACKS, type Task } from '../task.js';
import { jobChange, taskChange, type JobTransition } from '../transitions.js';
import type { Effect } from './effects.js';
import { newExecution, nextAttempt, taskLabel } from './executions.js';
import { taskScope } from './resolve-task.js';
import { renderTemplate } from './templates.js';
import { retryDelayMs } from '../retry-delay.js';

/*
 * What follows a task's or a job's end: a retry, the next task, a composite's fan-in, the job's
 * terminal state (endJob, its one writer) and what a job's end stops. Pure, as the reducer.
 */

/** A task whose worker died runs again at least this often, whatever its retry policy. */
export const MIN_WORKER_LOSS_RERUNS = 2;

/**
 * A task FAILED: while its retry policy allows, a new attempt runs (after its delay); a worker's
 * death is not the task's fault and is retried at least twice; a worker's runtime outage hands it
 * back (a new attempt, no retry spent) up to MAX_HAND_BACKS times. Otherwise its parent fails with
 * it, or the job does.
 */
export function afterTaskFailed(job: Job, task: Task, now: string): Effect[] {
  if (task.state !== 'FAILED' || !isJobActive(job.state)) return [];
  if (task.failure?.kind === 'runtime') {
    // The engine, not the task, failed: it runs again elsewhere without spending a retry, a few times.
    const handBacks = task.handBacks ?? 0;
    if (task.kind === 'task' && handBacks < MAX_HAND_BACKS) {
      const again = nextAttempt(task, now, { retries: task.retries, handBacks: handBacks + 1 });
      return [{ type: 'createTasks', tasks: [again], dispatch: 'queue' }];
    }
    return failUpwards(job, task, now);
  }
  const workerLost = task.failure?.kind === 'worker-lost';
  const limit = workerLost
    ? Math.max(task.spec.retry?.limit ?? 0, MIN_WORKER_LOSS_RERUNS)
    : (task.spec.retry?.limit ?? 0);
  if (task.kind === 'task' && isRetryable(task.failure) && task.retries < limit) {
    const delayMs =
      workerLost || task.spec.retry === undefined ? 0 : retryDelayMs(task.spec.retry, task.retries + 1);
    const runAt = delayMs === 0 ? undefined : new Date(Date.parse(now) + delayMs).toISOString();
    const retry = nextAttempt(task, now, {
      retries: task.retries + 1,
      ...(runAt === undefined ? {} : { runAt }),
    });
    return [{ type: 'createTasks', tasks: [retry], dispatch: 'queue' }];
  }
  return failUpwards(job, task, now);
}

/** A task failed for good: its parent fails with it, or its job does. */
function failUpwards(job: Job, task: Task, now: string): Effect[] {
  const error = task.error ?? 'task failed';
  if (task.parentId !== undefined) {
    return [
      {
        type: 'updateTask',
        taskId: task.parentId,
        change: taskChange('fail', now, {
          error: `${taskLabel(task)} failed: ${error}`,
          ...(task.failure === undefined ? {} : { failure: task.failure }),
        }),
      },
      { type: 'then', event: { type: 'task.failed', jobId: task.jobId, taskId: task.parentId } },
    ];
  }
  return endJob(job, 'fail', now, { error });
}

/**
 * A task ended well. In a parallel or each, the last child completes the parent (the fan-in
 * counted it atomically); at the top level, the next task starts or the job completes.
 */
/** The last child of a parallel or each to end well completes it (a sub-job's task ends with its job). */
export function afterChildSettled(task: Task, parent: Task | undefined, now: string): Effect[] {
  if (!isTaskDone(task.state)) return [];
  if (parent?.state !== 'RUNNING' || parent.pendingChildren !== 0) return [];
  if (parent.kind !== 'parallel' && parent.kind !== 'each') return [];
  return [
    { type: 'settleTask', taskId: parent.id, jobId: parent.jobId, change: taskChange('complete', now) },
  ];
}

/** A top-level task ended well: the next one is created, or the job ends with its output. */
export function afterTaskSettled(
  job: Job,
  task: Task,
  context: JobContext | undefined,
  now: string,
): Effect[] {
  if (!isTaskDone(task.state)) return [];
  if (!isJobActive(job.state) || context === undefined) return [];
  const effects: Effect[] = [];
  const nextIndex = task.index + 1;
  const nextSpec = job.tasks[nextIndex];
  // Its first task's start came with its end (or overtook it): the job started when the task did.
  const startedAt = task.startedAt ?? now;
  if (job.state === 'SCHEDULED' && nextSpec !== undefined) {
    effects.push({
      type: 'updateJob',
      jobId: job.id,
      change: jobChange('start', startedAt),
      onMiss: 'continue',
    });
  }
  // A job that ends here records its start in the same change (see endJob).
  const start = job.state === 'SCHEDULED' ? { startedAt } : {};
  if (nextSpec !== undefined) {
    const next = newExecution({ job, index: nextIndex, spec: nextSpec, context, now });
    effects.push(
      {
        type: 'updateJob',
        jobId: job.id,
        change: { from: ['SCHEDULED', 'RUNNING'], patch: { position: nextIndex + 1 } },
      },
      { type: 'createTasks', tasks: [next], dispatch: { job, context } },
    );
    return effects;
  }
  let result = task.result;
  if (job.output !== undefined) {
    try {
      result = renderTemplate(job.output, taskScope(job, context));
    } catch (error) {
      return [...effects, ...endJob(job, 'fail', now, { error: `output: ${errorMessage(error)}`, ...start })];
    }
  }
  return [
    ...effects,
    ...endJob(job, 'complete', now, { ...(result === undefined ? {} : { result }), ...start }),
  ];
}

/**
 * The one place a job's terminal state is written. Then `job.ended` stops what still runs and
 * tells a sub-job's parent task; it runs even when the change was applied before (a redelivery).
 * A top-level job that completes leaves nothing to stop and no parent to tell, so `job.ended`
 * follows only when its change did not apply (the job had ended otherwise, and that end may have
 * been cut short): the common path reads the job once less. A job that ends still SCHEDULED (its
 * only task's start came with its end) is given `startedAt` here: one change instead of two, and
 * the datastore records its RUNNING before its end.
 */
export function endJob(
  job: Pick<Job, 'id' | 'autoDelete' | 'parentId'>,
  outcome: Extract<JobTransition, 'complete' | 'fail' | 'cancel'>,
  now: string,
  fields: { result?: string; error?: string; startedAt?: string } = {},
): Effect[] {
  const after = job.autoDelete === undefined ? undefined : parseDuration(job.autoDelete.after);
  const deleteAt = after === undefined ? {} : { deleteAt: new Date(Date.parse(now) + after).toISOString() };
  const ended: Effect = { type: 'then', event: { type: 'job.ended', jobId: job.id } };
  const change = jobChange(outcome, now, { ...fields, ...deleteAt });
  if (outcome === 'complete' && job.parentId === undefined)
    return [{ type: 'updateJob', jobId: job.id, change, onMiss: [ended] }];
  return [{ type: 'updateJob', jobId: job.id, change, onMiss: 'continue' }, ended];
}

/** A job ended: what still runs of it stops; a sub-job's parent task completes or fails with it. */
export function afterJobEnded(job: Job, parentTask: Task | undefined, now: string): Effect[] {
  const effects: Effect[] = [];
  if (job.state === 'FAILED' || job.state === 'CANCELLED')
    effects.push({ type: 'cancelTasks', jobId: job.id });
  if (parentTask === undefined || parentTask.state !== 'RUNNING') return effects;
  switch (job.state) {
    case 'COMPLETED':
      effects.push({
        type: 'settleTask',
        taskId: parentTask.id,
        jobId: parentTask.jobId,
        change: taskChange('complete', now, { result: job.result ?? '' }),
      });
      break;
    case 'FAILED':
    case 'CANCELLED': {
      const error =
        job.state === 'FAILED' ? `sub-job failed: ${job.error ?? 'unknown error'}` : 'sub-job was cancelled';
      effects.push(
        { type: 'updateTask', taskId: parentTask.id, change: taskChange('fail', now, { error }) },
        { type: 'then', event: { type: 'task.failed', jobId: parentTask.jobId, taskId: parentTask.id } },
      );
      break;
    }
    default:
      break;
  }
  return effects;
}
