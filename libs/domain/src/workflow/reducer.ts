import { errorMessage } from '../errors.js';
import { isJobActive, type Job, type JobContext } from '../job.js';
import { SPEC_LIMITS } from '../job-spec/spec-limits.js';
import { QUEUE } from '../queues.js';
import { type Task } from '../task.js';
import { jobChange, taskChange } from '../transitions.js';
import type { Effect } from './effects.js';
import { newExecution, subjobIdOf, newJob } from './executions.js';
import { isSkipped, taskScope } from './resolve-task.js';
import { renderTemplate, evaluateExpression } from './templates.js';
import { restartJob, restartTask } from './restart.js';
import { checkStart } from './reports.js';
import { afterChildSettled, afterJobEnded, afterTaskFailed, afterTaskSettled, endJob } from './settle.js';

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

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string')
    return `a string ("${value.length > 40 ? `${value.slice(0, 40)}…` : value}")`;
  return `a ${typeof value}`;
}
