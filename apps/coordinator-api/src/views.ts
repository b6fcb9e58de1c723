import {
  DEFAULT_SECRET_POLICY,
  isEncrypted,
  jobProgress,
  redactAll,
  redactTaskSpec,
  redactWebhooks,
  redactText,
  secretValues,
  type Job,
  type JobListItem,
  type JobSchedule,
  type Page,
  type SecretPolicy,
  type Task,
  type TaskLogEntry,
  type TaskOverview,
  type TaskSpec,
} from '@tork/domain';
import type { JobSummary, JobView, SubmittedJob } from './schemas/jobs.schemas.js';
import type { LogPage } from './schemas/logs.schemas.js';
import type { TaskPage, TaskView } from './schemas/tasks.schemas.js';

/**
 * What the API shows of jobs and tasks. Pure: no I/O. Secret env values (by the policy, or
 * encrypted), registry passwords and job secrets are redacted everywhere, and a secret value that shows up in a result,
 * an error or a log is replaced there too (the worker masks them first; this catches what older
 * workers did not). An encrypted secret the API cannot read: the worker masked it at the source.
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

/** A job a tick created: Tork's `schedule {id, cron}`, and `scheduledJobId`. */
function scheduleFields(schedule: JobSchedule | undefined): Pick<JobSummary, 'schedule' | 'scheduledJobId'> {
  return schedule === undefined
    ? {}
    : { schedule: { id: schedule.id, cron: schedule.cron }, scheduledJobId: schedule.id };
}

/** A job as lists show it (`GET /jobs`): what the datastore's list item holds. */
export function toJobSummary(job: JobListItem): JobSummary {
  return withoutUndefined({
    id: job.id,
    name: job.name,
    description: job.description,
    tags: job.tags === undefined ? undefined : [...job.tags],
    state: job.state,
    parentId: job.parentId,
    createdAt: job.createdAt,
    scheduledAt: job.scheduledAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    failedAt: job.failedAt,
    cancelledAt: job.cancelledAt,
    deleteAt: job.deleteAt,
    position: job.position,
    taskCount: job.taskCount,
    progress: progressOf(job),
    createdBy: job.createdBy,
    permissions: job.permissions?.map((permission) => ({ ...permission })),
    ...scheduleFields(job.schedule),
  });
}

/** Every field of a job but its executions and context. */
function toJobFields(job: Job, policy: SecretPolicy): Omit<JobView, 'context' | 'execution'> {
  const secrets = jobSecrets(job, policy);
  return withoutUndefined({
    id: job.id,
    name: job.name,
    description: job.description,
    tags: job.tags === undefined ? undefined : [...job.tags],
    state: job.state,
    parentId: job.parentId,
    createdAt: job.createdAt,
    scheduledAt: job.scheduledAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    failedAt: job.failedAt,
    cancelledAt: job.cancelledAt,
    deleteAt: job.deleteAt,
    position: job.position,
    taskCount: job.tasks.length,
    progress: progressOf({ ...job, taskCount: job.tasks.length }),
    result: redactOptional(job.result, secrets),
    error: redactOptional(job.error, secrets),
    inputs: job.inputs === undefined ? undefined : { ...job.inputs },
    output: job.output,
    defaults: job.defaults,
    autoDelete: job.autoDelete,
    webhooks: job.webhooks === undefined ? undefined : redactWebhooks(job.webhooks, policy, secrets),
    tasks: job.tasks.map((spec) => redactTaskSpec(spec, policy)),
    createdBy: job.createdBy,
    permissions: job.permissions?.map((permission) => ({ ...permission })),
    ...scheduleFields(job.schedule),
  });
}

/**
 * A job as `GET /job/{id}` shows it: its context, and its executions as the datastore's overview
 * bounds them (every top-level one, the first of each composite task's children, with counts).
 */
export function toJobView(
  job: Job,
  overview: TaskOverview,
  vars: Readonly<Record<string, string>>,
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
): JobView {
  const secrets = jobSecrets(job, policy);
  return {
    ...toJobFields(job, policy),
    context: {
      inputs: { ...job.inputs },
      secrets: redactAll(job.secrets ?? {}),
      tasks: Object.fromEntries(
        Object.entries(vars).map(([name, value]) => [name, redactText(value, secrets)]),
      ),
    },
    execution: overview.tasks.map((task) =>
      toTaskView(task, policy, { childCounts: overview.childCounts[task.id], jobSecrets: secrets }),
    ),
  };
}

export interface TaskViewExtras {
  /** A composite task: how many executions under it are in each state. */
  readonly childCounts?: Readonly<Record<string, number>> | undefined;
  /** The secret values of its job, masked in its result and error. */
  readonly jobSecrets?: readonly string[];
}

/** One task execution, its spec flattened into it. */
export function toTaskView(
  task: Task,
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
  extras: TaskViewExtras = {},
): TaskView {
  const secrets = [...secretValues(task.spec, policy), ...(extras.jobSecrets ?? [])];
  const spec = redactTaskSpec(task.spec, policy);
  const item = Object.entries(task.bindings ?? {}).at(-1);
  return withoutUndefined({
    id: task.id,
    jobId: task.jobId,
    parentId: task.parentId,
    position: task.index + 1,
    kind: task.kind,
    attempt: task.attempt,
    name: spec.name,
    description: spec.description,
    tags: spec.tags,
    state: task.state,
    image: spec.image,
    registry: spec.registry,
    run: spec.run,
    cmd: spec.cmd,
    entrypoint: spec.entrypoint,
    env: spec.env,
    files: spec.files,
    workdir: spec.workdir,
    user: spec.user,
    mounts: spec.mounts,
    networks: spec.networks,
    sidecars: spec.sidecars,
    gpus: spec.gpus,
    queue: task.queue,
    priority: spec.priority,
    pre: spec.pre,
    post: spec.post,
    volumes: spec.volumes,
    retry: spec.retry,
    timeout: spec.timeout,
    limits: spec.limits,
    var: spec.var,
    if: spec.if,
    parallel: spec.parallel,
    each: spec.each,
    subjob: spec.subjob,
    item: item === undefined ? undefined : { name: item[0], index: item[1].index, value: item[1].value },
    nodeId: task.nodeId,
    result: redactOptional(task.result, secrets),
    error: redactOptional(task.error, secrets),
    // A cancelled task says so in the same field as a failed one (the scheduler records no failure for it).
    failure: task.failure ?? (task.state === 'CANCELLED' ? { kind: 'cancelled' } : undefined),
    progress: task.progress,
    handBacks: task.handBacks,
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
    childCount: task.childCount,
    childCounts: extras.childCounts === undefined ? undefined : { ...extras.childCounts },
    subjobId: task.subjobId,
  });
}

/** A page of executions, as `GET /jobs/{id}/tasks` shows them. */
export function toTaskPage(
  job: Job,
  page: Page<Task>,
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
): TaskPage {
  const jobSecretValues = jobSecrets(job, policy);
  return {
    ...page,
    items: page.items.map((task) => toTaskView(task, policy, { jobSecrets: jobSecretValues })),
  };
}

/** A page of log entries (of one task, or of a whole job), secrets masked again on the way out. */
export function toLogPage(page: Page<TaskLogEntry>, secrets: readonly string[]): LogPage {
  return {
    ...page,
    items: page.items.map((entry) => {
      const text = redactText(entry.text, secrets);
      // Tork's field names beside ours, so Tork's clients read the log unchanged.
      return {
        taskId: entry.taskId,
        number: entry.number,
        stream: entry.stream,
        text,
        at: entry.at,
        id: `${entry.taskId}:${String(entry.number)}`,
        contents: text,
        createdAt: entry.at,
      };
    }),
  };
}

/** Every secret value a job's views must mask: of its tasks' env by the policy, and its secrets in clear. */
export function jobSecrets(
  job: Pick<Job, 'tasks' | 'secrets'>,
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
): string[] {
  const walk = (spec: TaskSpec): string[] => [
    ...secretValues(spec, policy),
    ...(spec.parallel?.tasks.flatMap(walk) ?? []),
    ...(spec.each === undefined ? [] : walk(spec.each.task)),
    ...(spec.subjob?.tasks.flatMap(walk) ?? []),
    ...Object.values(spec.subjob?.secrets ?? {}).filter((value) => !isEncrypted(value)),
  ];
  const own = Object.values(job.secrets ?? {}).filter((value) => !isEncrypted(value));
  return [...new Set([...job.tasks.flatMap(walk), ...own])];
}

function redactOptional(text: string | undefined, secrets: readonly string[]): string | undefined {
  return text === undefined ? undefined : redactText(text, secrets);
}

/** Absent fields are left out of responses rather than sent as null. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** The stored progress (from task reports), at least the share of the top-level tasks already done. */
function progressOf(job: Pick<JobListItem, 'state' | 'position' | 'progress' | 'taskCount'>): number {
  if (job.state === 'COMPLETED') return 100;
  const done = jobProgress(Math.max(0, job.position - 1), 0, job.taskCount);
  return Math.max(job.progress ?? 0, done);
}
