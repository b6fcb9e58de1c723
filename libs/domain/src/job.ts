import type { AutoDeleteSpec, JobDefaults, TaskSpec } from './job-spec/types.js';
import type { CreatedBy, Permission } from './principal.js';
import type { WebhookSpec } from './webhooks/webhook.js';

export const JOB_STATES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A submitted job: its definition and where it stands. Task executions are stored as {@link Task}s. */
export interface Job {
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly state: JobState;
  /** The top-level task definitions as submitted, in order. */
  readonly tasks: readonly TaskSpec[];
  readonly inputs?: Readonly<Record<string, string>>;
  /** Secret values (encrypted at rest when the engine has a key); never shown. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** An expression: the job's result when it completes. */
  readonly output?: string;
  readonly defaults?: JobDefaults;
  readonly autoDelete?: AutoDeleteSpec;
  /** A sub-job: the task of the parent job that runs it. */
  readonly parentId?: string;
  /** 1-based index of the current top-level task (Tork's `position`); 0 before the first starts. */
  readonly position: number;
  readonly createdAt: string;
  readonly scheduledAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
  /** When a finished job with `autoDelete` is deleted. */
  readonly deleteAt?: string;
  readonly result?: string;
  readonly error?: string;
  /** 0-100: its top-level tasks done, and the running one's own progress. */
  readonly progress?: number;
  /** Who submitted it; absent on jobs stored before authentication existed. */
  readonly createdBy?: CreatedBy;
  /** Who besides its creator and admins may see and act on it; absent: everyone. */
  readonly permissions?: readonly Permission[];
  /** HTTP callbacks on its state changes and progress (secret header values encrypted when the engine has a key). */
  readonly webhooks?: readonly WebhookSpec[];
  /** A job a scheduled job's tick created: that scheduled job (Tork's `schedule {id, cron}`). */
  readonly schedule?: JobSchedule;
}

/** The scheduled job that created a job, and its cron expression. */
export interface JobSchedule {
  readonly id: string;
  readonly cron: string;
}

export function isJobActive(state: JobState): boolean {
  return state === 'PENDING' || state === 'SCHEDULED' || state === 'RUNNING';
}

/** The values a job's expressions read: `inputs`, `secrets`, `tasks` (var → result) and `job`. */
export interface JobContext {
  readonly inputs: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly tasks: Readonly<Record<string, string>>;
}

/** A job's progress while its top-level task `index` (0-based) is `taskProgress` percent done. */
export function jobProgress(index: number, taskProgress: number, taskCount: number): number {
  if (taskCount <= 0) return 0;
  const percent = ((index + taskProgress / 100) / taskCount) * 100;
  return Math.round(Math.min(100, Math.max(0, percent)) * 100) / 100;
}
