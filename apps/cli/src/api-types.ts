/** The REST API's bodies as far as the client reads them (README, "REST API"). */

export type JobState = 'PENDING' | 'SCHEDULED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export const ENDED_JOB_STATES: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Task states after which nothing more happens to the execution. */
export const ENDED_TASK_STATES: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'];

export interface Execution {
  readonly id: string;
  readonly parentId?: string;
  readonly position?: number;
  readonly attempt?: number;
  readonly kind?: string;
  readonly name?: string;
  readonly state: string;
  readonly result?: string;
  readonly error?: string;
  readonly progress?: number;
  readonly item?: { readonly index: string; readonly value: unknown };
  readonly childCount?: number;
  readonly childCounts?: Readonly<Record<string, number>>;
  readonly subjobId?: string;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
}

export interface Job {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly result?: string;
  readonly error?: string;
  readonly position?: number;
  readonly taskCount?: number;
  readonly progress?: number;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
  readonly execution?: readonly Execution[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly number: number;
  readonly size: number;
  readonly totalPages: number;
  readonly totalItems: number;
}

export interface LogEntry {
  readonly taskId?: string;
  readonly number?: number;
  readonly stream?: string;
  readonly text: string;
  readonly at?: string;
}

/** `event: state` of `GET /jobs/{id}/events`. */
export interface StateEvent {
  readonly jobId: string;
  readonly taskId?: string;
  readonly state: string;
  readonly at?: string;
}
