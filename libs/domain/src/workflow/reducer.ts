import { parseDuration } from '../duration.js';
import { errorMessage } from '../errors.js';
import { isJobActive, type Job, type JobContext } from '../job.js';
import { SPEC_LIMITS } from '../job-spec/spec-limits.js';
import { QUEUE } from '../queues.js';
import { isRetryable, isTaskDone, MAX_HAND_BACKS, type Task } from '../task.js';
import { jobChange, taskChange, type JobTransition } from '../transitions.js';
import type { Effect } from './effects.js';
import { newExecution, nextAttempt, subjobIdOf, newJob, taskLabel } from './executions.js';
import { isSkipped, taskScope } from './resolve-task.js';
import { renderTemplate, evaluateExpression } from './templates.js';
import { retryDelayMs } from '../retry-delay.js';
import { restartJob, restartTask } from './restart.js';
import { checkStart } from './reports.js';

/**
 * The workflow reducer: given an event and the records it concerns (loaded by the scheduler),
 * what changes and what is sent. Pure: time comes in as `now`, ids are the only randomness. Every
 * state a job or task takes is decided here; a job's terminal state only by {@link endJob}.
 */
export type ReducerInput =
  | { readonly type: 'job.submitted'; readonly job: Job; readonly context: JobContext }
  | { readonly type: 'job.cancel'; readonly job: Job }
  | {
      readonly type: 'job.restart';
      readonly job: Job;
      /** The job's top-level executions, every attempt. */
      readonly tasks: readonly Task[];
      readonly context: JobContext;
    }
  | { readonly type: 'job.ended'; readonly job: Job; readonly parentTask?: Task }
  | { readonly type: 'task.dispatch'; readonly job: Job; readonly task: Task; readonly context: JobContext }
  | { readonly type: 'task.failed'; readonly job: Job; readonly task: Task }
  | {
      /** A top-level task ended well. */
      readonly type: 'task.settled';
      readonly job: Job;
      readonly task: Task;
      /** The next task's expressions, or the job's output, read it. */
      readonly context?: JobContext;
    }
  | {
      /** A child of a composite task ended well: what follows depends on its parent alone. */
      readonly type: 'child.settled';
      readonly task: Task;
      /** The parent as the fan-in counted this task (or as stored, on a redelivery). */
      readonly parent?: Task;
    }
  | {
      readonly type: 'task.checkStart';
      readonly job?: Job;
      readonly task?: Task;
      readonly nodeId: string;
    }
  | {
      readonly type: 'task.restart';
      readonly job: Job;
      readonly task: Task;
      /** Every execution under the task. */
      readonly children: readonly Task[];
      readonly context: JobContext;
    };

export function reduce(input: ReducerInput, now: string): Effect[] {
  switch (input.type) {
    case 'job.submitted':
      return startJob(input.job, input.context, now);
    case 'job.cancel':
      return isJobActive(input.job.state) ? endJob(input.job, 'cancel', now) : [];
    case 'job.restart':
      return restartJob(input.job, input.tasks, input.context, now);
    case 'job.ended':
      return afterJobEnded(input.job, input.parentTask, now);
    case 'task.dispatch':
      return dispatchTask(input.job, input.task, input.context, now);
    case 'task.failed':
      return afterTaskFailed(input.job, input.task, now);
    case 'task.settled':
      return afterTaskSettled(input.job, input.task, input.context, now);
    case 'child.settled':
      return afterChildSettled(input.task, input.parent, now);
    case 'task.checkStart':
      return checkStart(input.job, input.task, input.nodeId, now);
    case 'task.restart':
      return restartTask(input.job, input.task, input.children, input.context, now);
  }
}

/** A submitted job: its first task is created and the job is SCHEDULED. */
export function startJob(job: Job, context: JobContext, now: string): Effect[] {
  const first = job.tasks[0];
  if (first === undefined) return [];
  const task = newExecution({ job, index: 0, spec: first, context, now });
  if (job.state === 'SCHEDULED') {
    // A redelivery after the job was scheduled: the first task exists, or is created now.
    return [{ type: 'createTasks', tasks: [task], dispatch: 'queue' }];
  }
  if (job.state !== 'PENDING') return [];
  return [
    {
      type: 'updateJob',
      jobId: job.id,
      change: jobChange('schedule', now, { position: 1 }),
      onMiss: [{ type: 'createTasks', tasks: [task], dispatch: 'queue' }],
    },
    { type: 'createTasks', tasks: [task], dispatch: { job, context } },
  ];
}

/**
 * A PENDING task is handed on: a regular task to its work queue; a parallel or each task creates
 * its children; a subjob task creates its job. A skipped task ends at once.
 */
export function dispatchTask(job: Job, task: Task, context: JobContext, now: string): Effect[] {
  if (!isJobActive(job.state)) {
    // The job ended while this task waited: it never runs.
    return [{ type: 'updateTask', taskId: task.id, change: taskChange('cancel', now) }];
  }
  const fanOutAgain = task.state === 'RUNNING' && (task.kind === 'parallel' || task.kind === 'each');
  if (task.state !== 'PENDING' && !fanOutAgain) return [];
  if (task.runAt !== undefined && task.runAt > now) return [{ type: 'dispatchLater', task }];
  if (task.state === 'PENDING' && isSkipped(task.spec)) {
    return [{ type: 'settleTask', taskId: task.id, jobId: task.jobId, change: taskChange('skip', now) }];
  }
  switch (task.kind) {
    case 'task':
      return dispatchRegular(task, now);
    case 'parallel':
      return fanOut(job, context, task, parallelChildren(job, task, context, now), now);
    case 'each':
      return dispatchEach(job, task, context, now);
    case 'subjob':
      return dispatchSubjob(job, task, context, now);
  }
}

/**
 * A regular task promoted when a sibling ended (the next item of an each) is handed on without
 * reading its job: were the job ended, whatever ended it cancels its active tasks after its own
 * compare-and-set, so the task's schedule misses, or a worker's start of it is refused and stopped.
 */
export function dispatchPromoted(task: Task, now: string): Effect[] {
  if (task.kind !== 'task') throw new RangeError(`dispatchPromoted: a ${task.kind} task needs its job`);
  if (task.state !== 'PENDING') return [];
  return dispatchRegular(task, now);
}

function dispatchRegular(task: Task, now: string): Effect[] {
  if (task.runAt !== undefined && task.runAt > now) return [{ type: 'dispatchLater', task }];
  if (isSkipped(task.spec))
    return [{ type: 'settleTask', taskId: task.id, jobId: task.jobId, change: taskChange('skip', now) }];
  return [{ type: 'scheduleTask', taskId: task.id }];
}

function parallelChildren(job: Job, task: Task, context: JobContext, now: string): Task[] {
  const specs = task.spec.parallel?.tasks ?? [];
  return specs.map((spec, index) =>
    newExecution({
      job,
      parentId: task.id,
      index,
      spec,
      context,
      ...(task.bindings === undefined ? {} : { bindings: task.bindings }),
      now,
    }),
  );
}

/** Starts a composite task (its counter set once) and creates its children; a redelivery finds them. */
function fanOut(
  job: Job,
  context: JobContext,
  task: Task,
  children: Iterable<Task>,
  now: string,
  count?: number,
): Effect[] {
  const total = count ?? (Array.isArray(children) ? children.length : 0);
  const start: Effect[] =
    task.state === 'PENDING'
      ? [
          {
            type: 'updateTask',
            taskId: task.id,
            change: taskChange('start', now, { childCount: total, pendingChildren: total }),
          },
          // A job is RUNNING once its first task is, composite or not.
          { type: 'markJobRunning', jobId: job.id, change: jobChange('start', now) },
        ]
      : [];
  if (total === 0) {
    return [
      ...start,
      { type: 'settleTask', taskId: task.id, jobId: task.jobId, change: taskChange('complete', now) },
    ];
  }
  return [...start, { type: 'createTasks', tasks: children, dispatch: { job, context } }];
}

function dispatchEach(job: Job, task: Task, context: JobContext, now: string): Effect[] {
  const each = task.spec.each;
  if (each === undefined) return [];
  let list: unknown;
  try {
    list = evaluateExpression(each.list, taskScope(job, context, task.bindings));
  } catch (error) {
    return failComposite(task, `each.list: ${errorMessage(error)}`, now);
  }
  if (!Array.isArray(list)) {
    return failComposite(task, `each.list must evaluate to a list; it gave ${describe(list)}`, now);
  }
  if (list.length > SPEC_LIMITS.eachItems)
    return failComposite(task, `each.list has ${list.length} items; at most ${SPEC_LIMITS.eachItems}`, now);
  const items: readonly unknown[] = list;
  const loopVar = each.var ?? 'item';
  const slots = each.concurrency ?? items.length;
  // Children are generated as they are stored, so a long list is never all in memory as tasks.
  const children: Iterable<Task> = {
    *[Symbol.iterator]() {
      for (const [index, value] of items.entries()) {
        yield newExecution({
          job,
          parentId: task.id,
          index,
          spec: each.task,
          context,
          bindings: { ...task.bindings, [loopVar]: { index: String(index), value } },
          state: index < slots ? 'PENDING' : 'CREATED',
          now,
        });
      }
    },
  };
  return fanOut(job, context, task, children, now, items.length);
}

function dispatchSubjob(job: Job, task: Task, context: JobContext, now: string): Effect[] {
  const subjob = task.spec.subjob;
  if (subjob === undefined || task.state !== 'PENDING') return [];
  const scope = taskScope(job, context, task.bindings);
  let name: string | undefined;
  let inputs: Record<string, string> | undefined;
  let secrets: Record<string, string> | undefined;
  try {
    name = subjob.name === undefined ? undefined : renderTemplate(subjob.name, scope);
    inputs = renderMap(subjob.inputs, scope);
    secrets = renderMap(subjob.secrets, scope);
  } catch (error) {
    return failComposite(task, `subjob: ${errorMessage(error)}`, now);
  }
  const child = newJob(
    {
      ...(name === undefined ? {} : { name }),
      ...(subjob.description === undefined ? {} : { description: subjob.description }),
      tasks: subjob.tasks,
      ...(inputs === undefined ? {} : { inputs }),
      ...(secrets === undefined ? {} : { secrets }),
      ...(subjob.output === undefined ? {} : { output: subjob.output }),
      ...(job.defaults === undefined ? {} : { defaults: job.defaults }),
      ...(subjob.autoDelete === undefined ? {} : { autoDelete: subjob.autoDelete }),
      // Its expressions read the sub-job's own inputs and secrets when a delivery is sent.
      ...(subjob.webhooks === undefined ? {} : { webhooks: subjob.webhooks }),
      // A sub-job is seen by whoever may see its parent.
      ...(job.permissions === undefined ? {} : { permissions: [...job.permissions] }),
    },
    now,
    {
      id: subjobIdOf(task.id),
      parentId: task.id,
      ...(job.createdBy === undefined ? {} : { createdBy: job.createdBy }),
    },
  );
  const effects: Effect[] = [
    { type: 'createJob', job: child },
    { type: 'updateTask', taskId: task.id, change: taskChange('start', now, { subjobId: child.id }) },
    { type: 'markJobRunning', jobId: job.id, change: jobChange('start', now) },
    { type: 'publish', queue: QUEUE.jobs, message: { type: 'job.submitted', jobId: child.id } },
  ];
  if (subjob.detached === true) {
    effects.push({
      type: 'settleTask',
      taskId: task.id,
      jobId: task.jobId,
      change: taskChange('complete', now),
    });
  }
  return effects;
}

function renderMap(
  map: Readonly<Record<string, string>> | undefined,
  scope: Parameters<typeof renderTemplate>[1],
): Record<string, string> | undefined {
  if (map === undefined) return undefined;
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, renderTemplate(value, scope)]));
}

/** A composite task that cannot run (its list or sub-job did not evaluate): it fails, never retried. */
function failComposite(task: Task, error: string, now: string): Effect[] {
  return [
    {
      type: 'updateTask',
      taskId: task.id,
      change: taskChange('fail', now, { error, failure: { kind: 'rejected' } }),
    },
    { type: 'then', event: { type: 'task.failed', jobId: task.jobId, taskId: task.id } },
  ];
}

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
  if (job.state === 'SCHEDULED') {
    // The completion overtook its start message: the job started when the task did.
    effects.push({
      type: 'updateJob',
      jobId: job.id,
      change: jobChange('start', task.startedAt ?? now),
      onMiss: 'continue',
    });
  }
  const nextIndex = task.index + 1;
  const nextSpec = job.tasks[nextIndex];
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
      return [...effects, ...endJob(job, 'fail', now, { error: `output: ${errorMessage(error)}` })];
    }
  }
  return [...effects, ...endJob(job, 'complete', now, result === undefined ? {} : { result })];
}

/**
 * The one place a job's terminal state is written. Then `job.ended` stops what still runs and
 * tells a sub-job's parent task; it runs even when the change was applied before (a redelivery).
 * A top-level job that completes leaves nothing to stop and no parent to tell, so `job.ended`
 * follows only when its change did not apply (the job had ended otherwise, and that end may have
 * been cut short): the common path reads the job once less.
 */
export function endJob(
  job: Pick<Job, 'id' | 'autoDelete' | 'parentId'>,
  outcome: Extract<JobTransition, 'complete' | 'fail' | 'cancel'>,
  now: string,
  fields: { result?: string; error?: string } = {},
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

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string')
    return `a string ("${value.length > 40 ? `${value.slice(0, 40)}…` : value}")`;
  return `a ${typeof value}`;
}
