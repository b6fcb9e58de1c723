import type { TaskSpec } from './job-spec.schema.js';
import type { CreatedBy, Permission } from './principal.js';

export const JOB_STATES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A submitted job: its definition and where it stands. Task executions are stored as {@link Task}s. */
export interface Job {
  readonly id: string;
  readonly name?: string;
  readonly state: JobState;
  /** The task definitions as submitted, in order. */
  readonly tasks: readonly TaskSpec[];
  /** 0-based index of the current task in `tasks`. */
  readonly position: number;
  readonly createdAt: string;
  readonly scheduledAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
  readonly result?: string;
  readonly error?: string;
  /** Who submitted it; absent on jobs stored before authentication existed. */
  readonly createdBy?: CreatedBy;
  /** Who besides its creator and admins may see and act on it; absent: everyone. */
  readonly permissions?: readonly Permission[];
}

export function isJobActive(state: JobState): boolean {
  return state === 'PENDING' || state === 'SCHEDULED' || state === 'RUNNING';
}

export function isJobFinished(state: JobState): boolean {
  return !isJobActive(state);
}
