import {
  DEFAULT_SECRET_POLICY,
  redactTaskSpec,
  redactText,
  secretValues,
  type Job,
  type Page,
  type SecretPolicy,
  type Task,
  type TaskLogEntry,
} from '@tork/domain';
import type { JobSummary, JobView, LogPage, SubmittedJob, TaskView } from './schemas.js';

/**
 * What the API shows of jobs and tasks. Pure: no I/O. Secret env values (by the policy, or
 * encrypted) are redacted everywhere, and a secret value that shows up in a result or an error
 * is replaced there too (the worker masks them first; this catches what older workers did not).
 */

/** The reply to a submission, in the seed's shape: id, name, state, createdAt, tasks. */
export function toSubmittedJob(job: Job, policy: SecretPolicy = DEFAULT_SECRET_POLICY): SubmittedJob {
  return withoutUndefined({
    id: job.id,
    name: job.name,
    state: job.state,
    createdAt: job.createdAt,
    tasks: job.tasks.map((spec) => redactTaskSpec(spec, policy)),
    permissions: job.permissions?.map((permission) => ({ ...permission })),
  });
}

/** A job as listed: everything but its executions. */
export function toJobSummary(job: Job, policy: SecretPolicy = DEFAULT_SECRET_POLICY): JobSummary {
  const secrets = job.tasks.flatMap((spec) => secretValues(spec, policy));
  return withoutUndefined({
    id: job.id,
    name: job.name,
    state: job.state,
    createdAt: job.createdAt,
    scheduledAt: job.scheduledAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    failedAt: job.failedAt,
    cancelledAt: job.cancelledAt,
    position: job.position,
    taskCount: job.tasks.length,
    result: redactOptional(job.result, secrets),
    error: redactOptional(job.error, secrets),
    tasks: job.tasks.map((spec) => redactTaskSpec(spec, policy)),
    createdBy: job.createdBy,
    permissions: job.permissions?.map((permission) => ({ ...permission })),
  });
}

/** A job with its task executions, as `GET /job/{id}` shows it. */
export function toJobView(
  job: Job,
  executions: readonly Task[],
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
): JobView {
  return { ...toJobSummary(job, policy), execution: executions.map((task) => toTaskView(task, policy)) };
}

/** One task execution, its spec flattened into it. */
export function toTaskView(task: Task, policy: SecretPolicy = DEFAULT_SECRET_POLICY): TaskView {
  const secrets = secretValues(task.spec, policy);
  const spec = redactTaskSpec(task.spec, policy);
  return withoutUndefined({
    id: task.id,
    jobId: task.jobId,
    position: task.position,
    attempt: task.attempt,
    name: spec.name,
    state: task.state,
    image: spec.image,
    run: spec.run,
    env: spec.env,
    queue: task.queue,
    pre: spec.pre,
    post: spec.post,
    volumes: spec.volumes,
    retry: spec.retry,
    timeout: spec.timeout,
    limits: spec.limits,
    nodeId: task.nodeId,
    result: redactOptional(task.result, secrets),
    error: redactOptional(task.error, secrets),
    createdAt: task.createdAt,
    scheduledAt: task.scheduledAt,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    failedAt: task.failedAt,
    cancelledAt: task.cancelledAt,
    runAt: task.runAt,
    steps: task.steps?.map((step) =>
      withoutUndefined({ ...step, error: redactOptional(step.error, secrets) }),
    ),
  });
}

/** A page of a task's output, secrets masked again on the way out. */
export function toLogPage(
  task: Task,
  page: Page<TaskLogEntry>,
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
): LogPage {
  const secrets = secretValues(task.spec, policy);
  return {
    ...page,
    items: page.items.map((entry) => ({
      number: entry.number,
      stream: entry.stream,
      text: redactText(entry.text, secrets),
      at: entry.at,
    })),
  };
}

function redactOptional(text: string | undefined, secrets: readonly string[]): string | undefined {
  return text === undefined ? undefined : redactText(text, secrets);
}

/** Absent fields are left out of responses rather than sent as null. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
