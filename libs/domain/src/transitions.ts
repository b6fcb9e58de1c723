import type { Job, JobState } from './job.js';
import type { Task, TaskState } from './task.js';

/**
 * Every state change of a job or task is one of these events. Each names the states it may
 * start from: an event that arrives for a task in any other state (a duplicate, a late or an
 * out-of-order message) changes nothing. Adapters apply them with compare-and-set.
 */
export const TASK_EVENTS = {
  schedule: { from: ['PENDING'], to: 'SCHEDULED', stamp: 'scheduledAt' },
  start: { from: ['PENDING', 'SCHEDULED'], to: 'RUNNING', stamp: 'startedAt' },
  complete: { from: ['SCHEDULED', 'RUNNING'], to: 'COMPLETED', stamp: 'completedAt' },
  fail: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'FAILED', stamp: 'failedAt' },
  cancel: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'CANCELLED', stamp: 'cancelledAt' },
} as const satisfies Record<string, Transition<TaskState, Task>>;

export const JOB_EVENTS = {
  schedule: { from: ['PENDING'], to: 'SCHEDULED', stamp: 'scheduledAt' },
  start: { from: ['PENDING', 'SCHEDULED'], to: 'RUNNING', stamp: 'startedAt' },
  complete: { from: ['SCHEDULED', 'RUNNING'], to: 'COMPLETED', stamp: 'completedAt' },
  fail: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'FAILED', stamp: 'failedAt' },
  cancel: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'CANCELLED', stamp: 'cancelledAt' },
} as const satisfies Record<string, Transition<JobState, Job>>;

export type TaskEvent = keyof typeof TASK_EVENTS;
export type JobEvent = keyof typeof JOB_EVENTS;

interface Transition<S extends string, T> {
  readonly from: readonly S[];
  readonly to: S;
  readonly stamp: keyof T;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** A compare-and-set update: apply `patch` only while the record is in one of `from`. */
export interface Change<S extends string, T> {
  readonly from: readonly S[];
  readonly patch: Mutable<T>;
}

export type TaskChange = Change<
  TaskState,
  Omit<Task, 'id' | 'jobId' | 'position' | 'attempt' | 'spec' | 'createdAt'>
>;
export type JobChange = Change<
  JobState,
  Omit<Job, 'id' | 'tasks' | 'createdAt' | 'createdBy' | 'permissions'>
>;

export function taskChange(event: TaskEvent, at: string, fields: TaskChange['patch'] = {}): TaskChange {
  const transition = TASK_EVENTS[event];
  return { from: transition.from, patch: { ...fields, state: transition.to, [transition.stamp]: at } };
}

export function jobChange(event: JobEvent, at: string, fields: JobChange['patch'] = {}): JobChange {
  const transition = JOB_EVENTS[event];
  return { from: transition.from, patch: { ...fields, state: transition.to, [transition.stamp]: at } };
}

/** Whether `event` may be applied to a record in `state`. */
export function canApplyTaskEvent(event: TaskEvent, state: TaskState): boolean {
  return (TASK_EVENTS[event].from as readonly TaskState[]).includes(state);
}

export function canApplyJobEvent(event: JobEvent, state: JobState): boolean {
  return (JOB_EVENTS[event].from as readonly JobState[]).includes(state);
}

/** Applies a change to a record in memory, as an adapter does in storage. Undefined when the CAS fails. */
export function applyChange<S extends string, T extends { readonly state: S }>(
  record: T,
  change: Change<S, Partial<T>>,
): T | undefined {
  if (!change.from.includes(record.state)) return undefined;
  return { ...record, ...change.patch };
}
