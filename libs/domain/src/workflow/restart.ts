import type { Job, JobContext } from '../job.js';
import type { TaskSpec } from '../job-spec/types.js';
import { QUEUE } from '../queues.js';
import { isTaskActive, isTaskDone, type LoopItem, type Task } from '../task.js';
import { jobChange, taskChange } from '../transitions.js';
import type { Effect } from './effects.js';
import { newExecution, nextAttempt } from './executions.js';
import { taskScope } from './resolve-task.js';
import { evaluateExpression } from './templates.js';

/**
 * Restarting a FAILED or CANCELLED job resumes it where it stopped: what completed is kept (its
 * `var`s too), and only what failed, was cancelled or never started runs again, with its retries
 * counted afresh. A composite task resumes in place, so its completed children stay its children.
 */
export function restartJob(job: Job, tasks: readonly Task[], context: JobContext, now: string): Effect[] {
  if (job.state !== 'FAILED' && job.state !== 'CANCELLED') return [];
  const latest = latestByIndex(tasks);
  const index = job.tasks.findIndex((_spec, i) => {
    const execution = latest.get(i);
    return execution === undefined || !isTaskDone(execution.state);
  });
  const spec = job.tasks[index];
  if (spec === undefined) return [];
  // What follows runs in the job as restarted.
  const running: Job = { ...job, state: 'RUNNING', position: index + 1 };
  // The end that stopped the job has not stopped all of it yet (the restart came at once): this
  // restart does, while the job is still ended, before its own run starts.
  const stillActive = tasks.some((task) => isTaskActive(task.state));
  return [
    ...(stillActive ? [{ type: 'cancelTasks' as const, jobId: job.id }] : []),
    {
      type: 'updateJob',
      jobId: job.id,
      change: jobChange('restart', now, {
        position: index + 1,
        error: undefined,
        failedAt: undefined,
        cancelledAt: undefined,
        deleteAt: undefined,
      }),
    },
    ...rerun(running, latest.get(index), { index, spec }, context, now, 'PENDING'),
  ];
}

/** A composite task of a restarted job, running again: its children that did not complete run again. */
export function restartTask(
  job: Job,
  task: Task,
  children: readonly Task[],
  context: JobContext,
  now: string,
): Effect[] {
  if (task.state !== 'RUNNING') return [];
  const latest = latestByIndex(children);
  switch (task.kind) {
    case 'task':
      return [];
    case 'subjob':
      return task.subjobId === undefined
        ? []
        : [{ type: 'publish', queue: QUEUE.jobs, message: { type: 'job.restart', jobId: task.subjobId } }];
    case 'parallel': {
      const specs = task.spec.parallel?.tasks ?? [];
      const todo = specs.flatMap((spec, index) =>
        isDone(latest.get(index)) ? [] : [{ index, spec, bindings: task.bindings }],
      );
      return resume(job, task, todo, latest, context, now, todo.length);
    }
    case 'each': {
      const each = task.spec.each;
      if (each === undefined) return [];
      const count = task.childCount ?? 0;
      const missing = Array.from({ length: count }, (_, index) => index).some((index) => !latest.has(index));
      // Children a crash kept from being created need their item: the list is evaluated again.
      const list = missing ? listOf(each.list, job, context, task) : [];
      const loopVar = each.var ?? 'item';
      const todo = Array.from({ length: count }, (_, index) => index)
        .filter((index) => !isDone(latest.get(index)))
        .map((index) => ({
          index,
          spec: each.task,
          bindings: latest.get(index)?.bindings ?? {
            ...task.bindings,
            [loopVar]: { index: String(index), value: list[index] ?? null },
          },
        }));
      return resume(job, task, todo, latest, context, now, each.concurrency ?? todo.length);
    }
  }
}

interface Place {
  readonly index: number;
  readonly spec: TaskSpec;
  readonly parentId?: string;
  readonly bindings?: Readonly<Record<string, LoopItem>> | undefined;
}

function resume(
  job: Job,
  task: Task,
  todo: readonly Place[],
  latest: ReadonlyMap<number, Task>,
  context: JobContext,
  now: string,
  slots: number,
): Effect[] {
  const effects: Effect[] = [
    {
      type: 'updateTask',
      taskId: task.id,
      change: { from: ['RUNNING'], patch: { pendingChildren: todo.length } },
    },
  ];
  if (todo.length === 0) {
    effects.push({
      type: 'settleTask',
      taskId: task.id,
      jobId: task.jobId,
      change: taskChange('complete', now),
    });
    return effects;
  }
  todo.forEach((place, position) => {
    const state = position < slots ? 'PENDING' : 'CREATED';
    effects.push(
      ...rerun(job, latest.get(place.index), { ...place, parentId: task.id }, context, now, state),
    );
  });
  return effects;
}

/** Runs one task again: a composite that had started resumes; anything else gets a fresh execution. */
function rerun(
  job: Job,
  latest: Task | undefined,
  place: Place,
  context: JobContext,
  now: string,
  state: 'PENDING' | 'CREATED',
): Effect[] {
  if (
    latest !== undefined &&
    latest.kind !== 'task' &&
    latest.startedAt !== undefined &&
    latest.failure?.kind !== 'rejected'
  ) {
    return [
      {
        type: 'updateTask',
        taskId: latest.id,
        change: taskChange('restart', now, {
          error: undefined,
          failure: undefined,
          failedAt: undefined,
          cancelledAt: undefined,
        }),
      },
      { type: 'then', event: { type: 'task.restart', jobId: job.id, taskId: latest.id } },
    ];
  }
  const fresh =
    latest !== undefined && latest.kind === 'task' && latest.failure?.kind !== 'rejected'
      ? { ...nextAttempt(latest, now, { retries: 0 }), state }
      : newExecution({
          job,
          ...(place.parentId === undefined ? {} : { parentId: place.parentId }),
          index: place.index,
          spec: place.spec,
          context,
          ...(place.bindings === undefined ? {} : { bindings: place.bindings }),
          attempt: (latest?.attempt ?? 0) + 1,
          state,
          now,
        });
  return [{ type: 'createTasks', tasks: [fresh], dispatch: { job, context } }];
}

/** Each index's latest execution. */
export function latestByIndex(tasks: readonly Task[]): Map<number, Task> {
  const latest = new Map<number, Task>();
  for (const task of tasks) {
    const current = latest.get(task.index);
    if (current === undefined || current.attempt < task.attempt) latest.set(task.index, task);
  }
  return latest;
}

function isDone(task: Task | undefined): boolean {
  return task !== undefined && isTaskDone(task.state);
}

function listOf(expression: string, job: Job, context: JobContext, task: Task): readonly unknown[] {
  try {
    const value = evaluateExpression(expression, taskScope(job, context, task.bindings));
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}
