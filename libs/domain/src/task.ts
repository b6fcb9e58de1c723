import type { AuxTaskSpec, TaskKind, TaskSpec } from './job-spec/types.js';

export const TASK_STATES = [
  'CREATED',
  'PENDING',
  'SCHEDULED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'SKIPPED',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** A loop variable of an `each`, as expressions read it: `{{ item.index }}`, `{{ item.value }}`. */
export interface LoopItem {
  /** The item's 0-based index, as a string (as Tork has it). */
  readonly index: string;
  readonly value: unknown;
}

/**
 * One execution (attempt) of a task. Tasks form a tree: a composite task (parallel, each, subjob)
 * is the parent of the executions it runs; top-level tasks have no parent. A retry is a new Task
 * with the same parent and index and the next `attempt`.
 */
export interface Task {
  readonly id: string;
  readonly jobId: string;
  /** The composite task this one runs under; none for a top-level task. */
  readonly parentId?: string;
  /** 0-based index among its siblings: in the job's `tasks`, or in its parent's children. */
  readonly index: number;
  readonly kind: TaskKind;
  /** 1-based; each new execution of the same task (a retry, a restart) has the next one. */
  readonly attempt: number;
  /** Retries that preceded this execution since the task last started afresh (a restart resets it). */
  readonly retries: number;
  /**
   * Times the task was handed back because its worker's runtime was down (failure kind `runtime`),
   * not counted as retries; at most {@link MAX_HAND_BACKS}.
   */
  readonly handBacks?: number;
  /** 0-100 while it runs, as the task last reported it. */
  readonly progress?: number;
  readonly state: TaskState;
  /**
   * The task as it runs: its expressions evaluated and the job's defaults applied. A composite
   * task's children are kept as written; they are evaluated when they are created.
   */
  readonly spec: TaskSpec;
  /** The queue the task is routed to (the spec's `queue`, else `default`). */
  readonly queue: string;
  /** The loop variables of the `each` tasks above this one, by name. */
  readonly bindings?: Readonly<Record<string, LoopItem>>;
  readonly nodeId?: string;
  readonly result?: string;
  readonly error?: string;
  readonly failure?: Failure;
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
  /** A parallel or each task: how many children it runs. */
  readonly childCount?: number;
  /** A parallel or each task: children not completed yet. Only the datastore's fan-in changes it. */
  readonly pendingChildren?: number;
  /** A subjob task: the job it runs. */
  readonly subjobId?: string;
  /**
   * Secret values its env holds in clear (an engine without an encryption key), for the worker to
   * mask in its output; with a key they travel encrypted instead.
   */
  readonly masks?: readonly string[];
}

/** Why a task failed, for people (`error`) and for machines (this): metrics, retries, the UI. */
export const FAILURE_KINDS = [
  'exit',
  'oom',
  'timeout',
  'image',
  'cancelled',
  'worker-lost',
  'rejected',
  'runtime',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface Failure {
  readonly kind: FailureKind;
  readonly exitCode?: number;
}

/** A task whose worker's runtime was down runs again elsewhere at most this many times, then fails for good. */
export const MAX_HAND_BACKS = 5;

/** A failure of this kind would fail again the same way: no retry. */
export function isRetryable(failure: Failure | undefined): boolean {
  return failure?.kind !== 'rejected';
}

export type StepState = 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** The outcome of one step of a task execution. */
export interface StepReport {
  readonly kind: StepKind;
  readonly index: number;
  readonly name?: string;
  /** None where the runtime runs no images (`-runtime shell`). */
  readonly image?: string;
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

/** States a task may still leave. */
export const ACTIVE_TASK_STATES = [
  'CREATED',
  'PENDING',
  'SCHEDULED',
  'RUNNING',
] as const satisfies readonly TaskState[];

export function isTaskActive(state: TaskState): boolean {
  return (ACTIVE_TASK_STATES as readonly TaskState[]).includes(state);
}

/** A task that ended well: completed, or skipped by its `if`. */
export function isTaskDone(state: TaskState): boolean {
  return state === 'COMPLETED' || state === 'SKIPPED';
}

/**
 * A regular task's spec, as a worker receives it: it runs a container (`image`), or a process where
 * the runtime runs no images (the shell runtime), where `image` may be absent.
 */
export type ContainerTaskSpec = TaskSpec;

/** What a worker needs to run a task: everything travels in the message, workers never read the datastore. */
export interface TaskRun {
  readonly id: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly queue: string;
  readonly spec: ContainerTaskSpec;
  /** Secret values to mask in its output, besides those its env names or the worker decrypts. */
  readonly masks?: string[];
}

export type StepKind = 'pre' | 'main' | 'post';

export interface TaskStep {
  readonly kind: StepKind;
  readonly index: number;
  readonly spec: AuxTaskSpec;
}

/** The steps of a task in execution order: pre[0..], the task itself, post[0..]. */
export function taskSteps(spec: ContainerTaskSpec): TaskStep[] {
  const main: AuxTaskSpec = {
    ...(spec.image === undefined ? {} : { image: spec.image }),
    ...(spec.name === undefined ? {} : { name: spec.name }),
    ...(spec.run === undefined ? {} : { run: spec.run }),
    ...(spec.env === undefined ? {} : { env: spec.env }),
    ...(spec.cmd === undefined ? {} : { cmd: spec.cmd }),
    ...(spec.entrypoint === undefined ? {} : { entrypoint: spec.entrypoint }),
    ...(spec.files === undefined ? {} : { files: spec.files }),
    ...(spec.workdir === undefined ? {} : { workdir: spec.workdir }),
    ...(spec.registry === undefined ? {} : { registry: spec.registry }),
    ...(spec.user === undefined ? {} : { user: spec.user }),
  };
  return [
    ...(spec.pre ?? []).map((step, index) => ({ kind: 'pre' as const, index, spec: step })),
    { kind: 'main', index: 0, spec: main },
    ...(spec.post ?? []).map((step, index) => ({ kind: 'post' as const, index, spec: step })),
  ];
}
