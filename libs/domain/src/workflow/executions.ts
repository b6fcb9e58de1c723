import { createHash } from 'node:crypto';
import { parseDuration } from '../duration.js';
import { newId } from '../ids.js';
import type { Job, JobContext } from '../job.js';
import { taskKind, type JobSpec, type TaskSpec } from '../job-spec/types.js';
import { DEFAULT_QUEUE } from '../queues.js';
import type { CreatedBy } from '../principal.js';
import type { LoopItem, Task, TaskState } from '../task.js';
import { resolveTaskSpec, taskScope } from './resolve-task.js';
import { errorMessage } from '../errors.js';

/** A new PENDING job for a validated spec. */
export function newJob(
  spec: JobSpec,
  now: string,
  fields: { id?: string; parentId?: string; createdBy?: CreatedBy } = {},
): Job {
  const { createdBy } = fields;
  return {
    id: fields.id ?? newId(),
    ...(spec.name === undefined ? {} : { name: spec.name }),
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.tags === undefined ? {} : { tags: spec.tags }),
    state: 'PENDING',
    tasks: spec.tasks,
    ...(spec.inputs === undefined ? {} : { inputs: spec.inputs }),
    ...(spec.secrets === undefined ? {} : { secrets: spec.secrets }),
    ...(spec.output === undefined ? {} : { output: spec.output }),
    ...(spec.defaults === undefined ? {} : { defaults: spec.defaults }),
    ...(spec.autoDelete === undefined ? {} : { autoDelete: spec.autoDelete }),
    ...(fields.parentId === undefined ? {} : { parentId: fields.parentId }),
    position: 0,
    createdAt: now,
    ...(createdBy === undefined ? {} : { createdBy: { kind: createdBy.kind, name: createdBy.name } }),
    ...(spec.permissions === undefined ? {} : { permissions: spec.permissions }),
    ...(spec.webhooks === undefined ? {} : { webhooks: spec.webhooks }),
  };
}

/** The id of the sub-job a task runs: derived from the task, so that a redelivery creates no second one. */
export function subjobIdOf(taskId: string): string {
  return createHash('sha256').update(`subjob:${taskId}`).digest('hex').slice(0, 32);
}

export interface ExecutionOf {
  readonly job: Pick<Job, 'id' | 'name' | 'defaults'>;
  readonly parentId?: string;
  readonly index: number;
  /** The spec as written; it is evaluated here. */
  readonly spec: TaskSpec;
  readonly context: JobContext;
  readonly bindings?: Readonly<Record<string, LoopItem>>;
  readonly attempt?: number;
  /** CREATED for an `each` child waiting for a slot. */
  readonly state?: Extract<TaskState, 'PENDING' | 'CREATED'>;
  readonly now: string;
}

/**
 * A new execution of a task, its expressions evaluated. When they cannot be evaluated, the
 * execution is created FAILED (kind `rejected`: a retry would fail the same way) with the reason.
 */
export function newExecution(of: ExecutionOf): Task {
  const base = {
    id: newId(),
    jobId: of.job.id,
    ...(of.parentId === undefined ? {} : { parentId: of.parentId }),
    index: of.index,
    kind: taskKind(of.spec),
    attempt: of.attempt ?? 1,
    retries: 0,
    ...(of.bindings === undefined || Object.keys(of.bindings).length === 0 ? {} : { bindings: of.bindings }),
    createdAt: of.now,
  };
  try {
    const spec = resolveTaskSpec(of.spec, taskScope(of.job, of.context, of.bindings), of.job.defaults);
    return { ...base, state: of.state ?? 'PENDING', spec, queue: spec.queue ?? DEFAULT_QUEUE };
  } catch (error) {
    return {
      ...base,
      state: 'FAILED',
      spec: of.spec,
      queue: DEFAULT_QUEUE,
      error: errorMessage(error),
      failure: { kind: 'rejected' },
      failedAt: of.now,
    };
  }
}

/** The next execution of a task that failed: the same evaluated spec, one more attempt. */
export function nextAttempt(
  task: Task,
  now: string,
  fields: { retries: number; handBacks?: number; runAt?: string },
): Task {
  const handBacks = fields.handBacks ?? task.handBacks ?? 0;
  return {
    id: newId(),
    jobId: task.jobId,
    ...(task.parentId === undefined ? {} : { parentId: task.parentId }),
    index: task.index,
    kind: task.kind,
    attempt: task.attempt + 1,
    retries: fields.retries,
    ...(handBacks === 0 ? {} : { handBacks }),
    state: 'PENDING',
    spec: task.spec,
    queue: task.queue,
    ...(task.bindings === undefined ? {} : { bindings: task.bindings }),
    ...(task.masks === undefined ? {} : { masks: task.masks }),
    createdAt: now,
    ...(fields.runAt === undefined ? {} : { runAt: fields.runAt }),
  };
}

/** The task's timeout in ms, when it has one that parses. */
export function timeoutMsOf(spec: TaskSpec): number | undefined {
  return spec.timeout === undefined ? undefined : parseDuration(spec.timeout);
}

/** How a task is named in errors and logs: its name, else its place. */
export function taskLabel(task: Pick<Task, 'index' | 'spec'>): string {
  return task.spec.name === undefined ? `task #${task.index + 1}` : `"${task.spec.name}"`;
}
