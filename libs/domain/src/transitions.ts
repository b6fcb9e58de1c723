import type { Job, JobState } from './job.js';
import type { Task, TaskState } from './task.js';

/**
 * Every state change of a job or task is one of these events. Each names the states it may
 * start from: an event that arrives for a task in any other state (a duplicate, a late or an
 * out-of-order message) changes nothing. Adapters apply them with compare-and-set.
 */
export const TASK_EVENTS = {
  /** An `each` child held back by the parent's concurrency gets a slot. */
  promote: { from: ['CREATED'], to: 'PENDING' },
  schedule: { from: ['PENDING'], to: 'SCHEDULED', stamp: 'scheduledAt' },
  /** A worker started it; a composite task starts when its children are created. */
  start: { from: ['PENDING', 'SCHEDULED'], to: 'RUNNING', stamp: 'startedAt' },
  complete: { from: ['SCHEDULED', 'RUNNING'], to: 'COMPLETED', stamp: 'completedAt' },
  /** Its `if` evaluated to false: it ends without running, as if completed. */
  skip: { from: ['PENDING'], to: 'SKIPPED', stamp: 'completedAt' },
  fail: { from: ['CREATED', 'PENDING', 'SCHEDULED', 'RUNNING'], to: 'FAILED', stamp: 'failedAt' },
  cancel: { from: ['CREATED', 'PENDING', 'SCHEDULED', 'RUNNING'], to: 'CANCELLED', stamp: 'cancelledAt' },
  /** A composite task of a restarted job runs again, keeping its completed children. */
  restart: { from: ['FAILED', 'CANCELLED'], to: 'RUNNING' },
} as const satisfies Record<string, Transition<TaskState, Task>>;

export const JOB_EVENTS = {
  schedule: { from: ['PENDING'], to: 'SCHEDULED', stamp: 'scheduledAt' },
  start: { from: ['PENDING', 'SCHEDULED'], to: 'RUNNING', stamp: 'startedAt' },
  complete: { from: ['SCHEDULED', 'RUNNING'], to: 'COMPLETED', stamp: 'completedAt' },
  fail: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'FAILED', stamp: 'failedAt' },
  cancel: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'CANCELLED', stamp: 'cancelledAt' },
  /** `PUT /jobs/{id}/restart`: it resumes where it stopped. */
  restart: { from: ['FAILED', 'CANCELLED'], to: 'RUNNING' },
} as const satisfies Record<string, Transition<JobState, Job>>;

export type TaskTransition = keyof typeof TASK_EVENTS;
export type JobTransition = keyof typeof JOB_EVENTS;

interface Transition<S extends string, T> {
  readonly from: readonly S[];
  readonly to: S;
  /** The timestamp field set to the time of the change. */
  readonly stamp?: keyof T;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** A compare-and-set update: apply `patch` only while the record is in one of `from`. */
export interface Change<S extends string, T> {
  readonly from: readonly S[];
  readonly patch: Mutable<T>;
  /** When the change happens: the time of the event it records. */
  readonly at?: string;
}

export type TaskChange = Change<
  TaskState,
  Omit<Task, 'id' | 'jobId' | 'parentId' | 'index' | 'kind' | 'attempt' | 'spec' | 'createdAt' | 'masks'>
>;
/** What a change may set of a job: its state, progress and outcome; its definition never changes. */
export type JobChange = Change<
  JobState,
  Pick<
    Job,
    | 'state'
    | 'position'
    | 'scheduledAt'
    | 'startedAt'
    | 'completedAt'
    | 'failedAt'
    | 'cancelledAt'
    | 'deleteAt'
    | 'result'
    | 'error'
  >
>;

export function taskChange(event: TaskTransition, at: string, fields: TaskChange['patch'] = {}): TaskChange {
  const transition: Transition<TaskState, Task> = TASK_EVENTS[event];
  const stamp = transition.stamp === undefined ? {} : { [transition.stamp]: at };
  return { from: transition.from, patch: { ...fields, state: transition.to, ...stamp }, at };
}

export function jobChange(event: JobTransition, at: string, fields: JobChange['patch'] = {}): JobChange {
  const transition: Transition<JobState, Job> = JOB_EVENTS[event];
  const stamp = transition.stamp === undefined ? {} : { [transition.stamp]: at };
  return { from: transition.from, patch: { ...fields, state: transition.to, ...stamp }, at };
}

/** Whether `event` may be applied to a record in `state`. */
export function canApplyTaskEvent(event: TaskTransition, state: TaskState): boolean {
  return (TASK_EVENTS[event].from as readonly TaskState[]).includes(state);
}

export function canApplyJobEvent(event: JobTransition, state: JobState): boolean {
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
