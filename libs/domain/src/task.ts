import type { AuxTaskSpec, TaskSpec } from './job-spec.schema.js';

export const TASK_STATES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** One execution (attempt) of a job's task. A retry is a new Task with the next `attempt`. */
export interface Task {
  readonly id: string;
  readonly jobId: string;
  /** 0-based index of the task's definition in the job's `tasks`. */
  readonly position: number;
  /** 1-based attempt number; retries create attempt 2, 3, ... */
  readonly attempt: number;
  readonly state: TaskState;
  readonly spec: TaskSpec;
  /** The queue the task is routed to (the spec's `queue`, else `default`). */
  readonly queue: string;
  readonly nodeId?: string;
  readonly result?: string;
  readonly error?: string;
  readonly createdAt: string;
  readonly scheduledAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
  /** A PENDING retry waits until this time before it is scheduled. */
  readonly runAt?: string;
  /**
   * When the broker confirmed the task's `task.run` message. A SCHEDULED task without it is one
   * whose scheduler stopped between marking it and sending it: the sweeper sends it.
   */
  readonly publishedAt?: string;
  /** A RUNNING task with a timeout must have ended by this time; the scheduler enforces it too. */
  readonly deadlineAt?: string;
  /** What happened to each step (pre, main, post), as the worker reported it. */
  readonly steps?: readonly StepReport[];
}

export type StepState = 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** The outcome of one step of a task execution. */
export interface StepReport {
  readonly kind: StepKind;
  readonly index: number;
  readonly name?: string;
  readonly image: string;
  readonly state: StepState;
  readonly error?: string;
  readonly startedAt: string;
  readonly endedAt: string;
}

/** A piece of a task's output, numbered in order per task execution. */
export interface TaskLogEntry {
  readonly taskId: string;
  readonly number: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  readonly at: string;
}

export function isTaskActive(state: TaskState): boolean {
  return state === 'PENDING' || state === 'SCHEDULED' || state === 'RUNNING';
}

/** What a worker needs to run a task: everything travels in the message, workers never read the datastore. */
export interface TaskRun {
  readonly id: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly queue: string;
  readonly spec: TaskSpec;
}

export type StepKind = 'pre' | 'main' | 'post';

export interface TaskStep {
  readonly kind: StepKind;
  readonly index: number;
  readonly spec: AuxTaskSpec;
}

/** The steps of a task in execution order: pre[0..], the task itself, post[0..]. */
export function taskSteps(spec: TaskSpec): TaskStep[] {
  const main: AuxTaskSpec = {
    image: spec.image,
    ...(spec.name === undefined ? {} : { name: spec.name }),
    ...(spec.run === undefined ? {} : { run: spec.run }),
    ...(spec.env === undefined ? {} : { env: spec.env }),
  };
  return [
    ...(spec.pre ?? []).map((step, index) => ({ kind: 'pre' as const, index, spec: step })),
    { kind: 'main', index: 0, spec: main },
    ...(spec.post ?? []).map((step, index) => ({ kind: 'post' as const, index, spec: step })),
  ];
}
