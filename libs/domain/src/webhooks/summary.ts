import type { Job, JobState } from '../job.js';
import { redactText } from '../redact.js';
import type { Task, TaskState } from '../task.js';
import type { ExprScope, ExprValue } from '../expressions/index.js';

/** The body of a job's delivery: what a list shows of it, at the state of the event, secrets masked. */
export interface JobSummaryBody {
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly state: JobState;
  readonly parentId?: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
  readonly position: number;
  readonly taskCount: number;
  readonly progress?: number;
  readonly result?: string;
  readonly error?: string;
}

/** The body of a task's delivery. */
export interface TaskSummaryBody {
  readonly id: string;
  readonly jobId: string;
  readonly parentId?: string;
  readonly name?: string;
  readonly state: TaskState;
  /** 1-based, among its siblings (Tork's `position`). */
  readonly position: number;
  readonly attempt: number;
  readonly queue: string;
  readonly nodeId?: string;
  readonly createdAt: string;
  readonly scheduledAt?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
  readonly progress?: number;
  readonly result?: string;
  readonly error?: string;
}

/** `secrets`: every value to mask in the result and error (the job's secrets in clear, secret env values). */
export function jobSummaryBody(job: Job, state: JobState, secrets: readonly string[]): JobSummaryBody {
  return dropUndefined({
    id: job.id,
    name: job.name,
    description: job.description,
    tags: job.tags === undefined ? undefined : [...job.tags],
    state,
    parentId: job.parentId,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    failedAt: job.failedAt,
    cancelledAt: job.cancelledAt,
    position: job.position,
    taskCount: job.tasks.length,
    progress: job.progress,
    result: mask(job.result, secrets),
    error: mask(job.error, secrets),
  });
}

export function taskSummaryBody(task: Task, state: TaskState, secrets: readonly string[]): TaskSummaryBody {
  return dropUndefined({
    id: task.id,
    jobId: task.jobId,
    parentId: task.parentId,
    name: task.spec.name,
    state,
    position: task.index + 1,
    attempt: task.attempt,
    queue: task.queue,
    nodeId: task.nodeId,
    createdAt: task.createdAt,
    scheduledAt: task.scheduledAt,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    failedAt: task.failedAt,
    cancelledAt: task.cancelledAt,
    progress: task.progress,
    result: mask(task.result, secrets),
    error: mask(task.error, secrets),
  });
}

/**
 * What a webhook's `if` reads: `job` and `task` (empty for a job's event), each field under our
 * camelCase name and under Tork's Go name (`job.state` and `job.State`, `task.jobId` and `task.JobID`).
 */
export function webhookConditionScope(job: JobSummaryBody, task: TaskSummaryBody | undefined): ExprScope {
  return { job: withGoNames(job), task: task === undefined ? {} : withGoNames(task) };
}

function withGoNames(summary: object): Record<string, ExprValue> {
  const fields: Record<string, ExprValue> = {};
  for (const [name, value] of Object.entries(summary) as [string, ExprValue][]) {
    fields[name] = value;
    fields[goName(name)] = value;
  }
  return fields;
}

/** `id` → `ID`, `jobId` → `JobID`, `createdAt` → `CreatedAt`. */
function goName(name: string): string {
  const capital = name.charAt(0).toUpperCase() + name.slice(1);
  return capital.replace(/Id$/, 'ID').replace(/^Id$/, 'ID');
}

function mask(text: string | undefined, secrets: readonly string[]): string | undefined {
  return text === undefined ? undefined : redactText(text, secrets);
}

function dropUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}
