import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type {
  AutoDeleteSpec,
  Failure,
  ApiKeyRecord,
  CreatedBy,
  Job,
  JobChange,
  JobDefaults,
  JobEvent,
  JobListItem,
  JobSchedule,
  JobState,
  LoopItem,
  NodeInfo,
  Permission,
  Role,
  ScheduledJob,
  ScheduledJobState,
  StepReport,
  Task,
  TaskChange,
  TaskKind,
  TaskLogEntry,
  TaskSpec,
  TaskState,
  UserRecord,
  WebhookDelivery,
  WebhookDeliveryState,
  WebhookEvent,
  WebhookSpec,
} from '@tork/domain';

/*
 * The tables as kysely sees them, and the one place rows become domain objects and back.
 * Timestamps are timestamptz: written as the domain's ISO strings, read as Dates (pg's parser)
 * and turned back into ISO strings, exact to the millisecond. JSON columns are written as JSON
 * text and read parsed.
 */

type Timestamp = ColumnType<Date, string, string>;
type OptionalTimestamp = ColumnType<Date | null, string | null, string | null>;
type Json = ColumnType<unknown, string, string>;
type OptionalJson = ColumnType<unknown, string | null, string | null>;

export interface JobsTable {
  id: string;
  name: string | null;
  description: string | null;
  tags: OptionalJson;
  state: JobState;
  tasks: Json;
  inputs: OptionalJson;
  secrets: OptionalJson;
  output: string | null;
  defaults: OptionalJson;
  auto_delete: OptionalJson;
  parent_id: string | null;
  position: number;
  created_at: Timestamp;
  scheduled_at: OptionalTimestamp;
  started_at: OptionalTimestamp;
  completed_at: OptionalTimestamp;
  failed_at: OptionalTimestamp;
  cancelled_at: OptionalTimestamp;
  delete_at: OptionalTimestamp;
  result: string | null;
  error: string | null;
  created_by: OptionalJson;
  permissions: OptionalJson;
  progress: ColumnType<number | null, number | null | undefined, number | null>;
  webhooks: ColumnType<unknown, string | null | undefined, string | null>;
  schedule: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface ScheduledJobsTable {
  id: string;
  state: ScheduledJobState;
  spec: Json;
  cron: string;
  timezone: string | null;
  created_at: Timestamp;
  created_by: OptionalJson;
  active_since: Timestamp;
  last_fired_at: OptionalTimestamp;
}

export interface TasksTable {
  id: string;
  job_id: string;
  parent_id: string | null;
  sibling_index: number;
  kind: TaskKind;
  attempt: number;
  retries: number;
  hand_backs: ColumnType<number, number | undefined, number>;
  progress: ColumnType<number | null, number | null | undefined, number | null>;
  state: TaskState;
  spec: Json;
  queue: string;
  bindings: OptionalJson;
  failure: OptionalJson;
  child_count: number | null;
  pending_children: number | null;
  subjob_id: string | null;
  masks: OptionalJson;
  seq: ColumnType<string, never, never>;
  node_id: string | null;
  result: string | null;
  error: string | null;
  created_at: Timestamp;
  scheduled_at: OptionalTimestamp;
  started_at: OptionalTimestamp;
  completed_at: OptionalTimestamp;
  failed_at: OptionalTimestamp;
  cancelled_at: OptionalTimestamp;
  run_at: OptionalTimestamp;
  deadline_at: OptionalTimestamp;
  steps: OptionalJson;
  published_at: OptionalTimestamp;
}

export interface TaskLogsTable {
  seq: ColumnType<string, never, never>;
  job_id: string | null;
  task_id: string;
  number: number;
  stream: TaskLogEntry['stream'];
  text: string;
  at: Timestamp;
}

export interface NodesTable {
  id: string;
  hostname: string;
  queues: Json;
  running_tasks: number;
  cpu_percent: number | null;
  version: string | null;
  started_at: Timestamp;
  last_heartbeat_at: Timestamp;
}

export interface JobVarsTable {
  job_id: string;
  name: string;
  value: string;
}

export interface JobEventsTable {
  seq: ColumnType<string, never, never>;
  job_id: string;
  task_id: string | null;
  state: string;
  at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  /** Null for a progress delivery. */
  event_seq: ColumnType<string | null, number | null | undefined, never>;
  webhook_index: number;
  job_id: string;
  task_id: string | null;
  event: WebhookEvent;
  body: string;
  state: WebhookDeliveryState;
  attempts: number;
  next_attempt_at: Timestamp;
  last_error: string | null;
  lease_owner: string | null;
  lease_until: OptionalTimestamp;
  created_at: Timestamp;
}

export interface EventCursorsTable {
  name: string;
  seq: ColumnType<string, number, number>;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  role: Role;
  key_hash: string;
  created_at: Timestamp;
}

export interface UsersTable {
  username: string;
  name: string | null;
  role: Role;
  password_hash: string;
  created_at: Timestamp;
}

export interface Database {
  jobs: JobsTable;
  tasks: TasksTable;
  task_logs: TaskLogsTable;
  nodes: NodesTable;
  job_vars: JobVarsTable;
  job_events: JobEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  event_cursors: EventCursorsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  scheduled_jobs: ScheduledJobsTable;
}

/** The PostgreSQL type of each column a change may set: batched updates send them as typed arrays. */
export const JOB_PATCH_TYPES: Readonly<Partial<Record<keyof JobsTable, string>>> = {
  state: 'text',
  position: 'integer',
  scheduled_at: 'timestamptz',
  started_at: 'timestamptz',
  completed_at: 'timestamptz',
  failed_at: 'timestamptz',
  cancelled_at: 'timestamptz',
  delete_at: 'timestamptz',
  result: 'text',
  error: 'text',
};

export const TASK_PATCH_TYPES: Readonly<Partial<Record<keyof TasksTable, string>>> = {
  state: 'text',
  queue: 'text',
  node_id: 'text',
  result: 'text',
  error: 'text',
  scheduled_at: 'timestamptz',
  started_at: 'timestamptz',
  completed_at: 'timestamptz',
  failed_at: 'timestamptz',
  cancelled_at: 'timestamptz',
  run_at: 'timestamptz',
  deadline_at: 'timestamptz',
  steps: 'jsonb',
  published_at: 'timestamptz',
  failure: 'jsonb',
  child_count: 'integer',
  pending_children: 'integer',
  subjob_id: 'text',
  retries: 'integer',
  hand_backs: 'integer',
  progress: 'real',
  bindings: 'jsonb',
};

export type JobRow = Selectable<JobsTable>;
export type TaskRow = Selectable<TasksTable>;

export function jobFromRow(row: JobRow): Job {
  return {
    id: row.id,
    ...optional('name', row.name),
    ...optional('description', row.description),
    ...optional('tags', row.tags as string[] | null),
    state: row.state,
    tasks: row.tasks as TaskSpec[],
    ...optional('inputs', row.inputs as Record<string, string> | null),
    ...optional('secrets', row.secrets as Record<string, string> | null),
    ...optional('output', row.output),
    ...optional('defaults', row.defaults as JobDefaults | null),
    ...optional('autoDelete', row.auto_delete as AutoDeleteSpec | null),
    ...optional('parentId', row.parent_id),
    position: row.position,
    createdAt: iso(row.created_at),
    ...optional('scheduledAt', isoOrNull(row.scheduled_at)),
    ...optional('startedAt', isoOrNull(row.started_at)),
    ...optional('completedAt', isoOrNull(row.completed_at)),
    ...optional('failedAt', isoOrNull(row.failed_at)),
    ...optional('cancelledAt', isoOrNull(row.cancelled_at)),
    ...optional('deleteAt', isoOrNull(row.delete_at)),
    ...optional('result', row.result),
    ...optional('error', row.error),
    ...optional('createdBy', row.created_by as CreatedBy | null),
    ...optional('permissions', row.permissions as Permission[] | null),
    ...optional('progress', row.progress),
    ...optional('webhooks', row.webhooks as WebhookSpec[] | null),
    ...optional('schedule', row.schedule as JobSchedule | null),
  };
}

/** The columns a job list reads: what a list item shows, never the task definitions or the result. */
export const JOB_LIST_COLUMNS = [
  'id',
  'name',
  'description',
  'tags',
  'state',
  'parent_id',
  'position',
  'created_at',
  'scheduled_at',
  'started_at',
  'completed_at',
  'failed_at',
  'cancelled_at',
  'delete_at',
  'progress',
  'created_by',
  'permissions',
  'schedule',
] as const satisfies readonly (keyof JobsTable)[];

export type JobListRow = Pick<JobRow, (typeof JOB_LIST_COLUMNS)[number]> & { task_count: number };

export function jobListItemFromRow(row: JobListRow): JobListItem {
  return {
    id: row.id,
    ...optional('name', row.name),
    ...optional('description', row.description),
    ...optional('tags', row.tags as string[] | null),
    state: row.state,
    ...optional('parentId', row.parent_id),
    position: row.position,
    createdAt: iso(row.created_at),
    ...optional('scheduledAt', isoOrNull(row.scheduled_at)),
    ...optional('startedAt', isoOrNull(row.started_at)),
    ...optional('completedAt', isoOrNull(row.completed_at)),
    ...optional('failedAt', isoOrNull(row.failed_at)),
    ...optional('cancelledAt', isoOrNull(row.cancelled_at)),
    ...optional('deleteAt', isoOrNull(row.delete_at)),
    ...optional('progress', row.progress),
    ...optional('createdBy', row.created_by as CreatedBy | null),
    ...optional('permissions', row.permissions as Permission[] | null),
    ...optional('schedule', row.schedule as JobSchedule | null),
    taskCount: row.task_count,
  };
}

export function jobToRow(job: Job): Insertable<JobsTable> {
  return {
    id: job.id,
    name: job.name ?? null,
    description: job.description ?? null,
    tags: jsonOrNull(job.tags),
    state: job.state,
    tasks: json(job.tasks),
    inputs: jsonOrNull(job.inputs),
    secrets: jsonOrNull(job.secrets),
    output: job.output ?? null,
    defaults: jsonOrNull(job.defaults),
    auto_delete: jsonOrNull(job.autoDelete),
    parent_id: job.parentId ?? null,
    position: job.position,
    created_at: job.createdAt,
    created_by: job.createdBy === undefined ? null : json(job.createdBy),
    permissions: job.permissions === undefined ? null : json(job.permissions),
    webhooks: jsonOrNull(job.webhooks),
    schedule: jsonOrNull(job.schedule),
    ...jobPatchToRow(job),
  };
}

/** The columns a change sets; a field it sets to undefined is cleared (NULL). */
export function jobPatchToRow(patch: JobChange['patch']): Updateable<JobsTable> {
  return columns(patch, {
    state: (value) => (value === undefined ? {} : { state: value }),
    position: (value) => (value === undefined ? {} : { position: value }),
    scheduledAt: (value) => ({ scheduled_at: value ?? null }),
    startedAt: (value) => ({ started_at: value ?? null }),
    completedAt: (value) => ({ completed_at: value ?? null }),
    failedAt: (value) => ({ failed_at: value ?? null }),
    cancelledAt: (value) => ({ cancelled_at: value ?? null }),
    deleteAt: (value) => ({ delete_at: value ?? null }),
    result: (value) => ({ result: text(value) }),
    error: (value) => ({ error: text(value) }),
  });
}

export function scheduledJobFromRow(row: Selectable<ScheduledJobsTable>): ScheduledJob {
  return {
    id: row.id,
    spec: row.spec as ScheduledJob['spec'],
    schedule: { cron: row.cron, ...optional('timezone', row.timezone) },
    state: row.state,
    createdAt: iso(row.created_at),
    ...optional('createdBy', row.created_by as CreatedBy | null),
    activeSince: iso(row.active_since),
    ...optional('lastFiredAt', isoOrNull(row.last_fired_at)),
  };
}

export function scheduledJobToRow(scheduled: ScheduledJob): Insertable<ScheduledJobsTable> {
  return {
    id: scheduled.id,
    state: scheduled.state,
    spec: json(scheduled.spec),
    cron: scheduled.schedule.cron,
    timezone: scheduled.schedule.timezone ?? null,
    created_at: scheduled.createdAt,
    created_by: jsonOrNull(scheduled.createdBy),
    active_since: scheduled.activeSince,
    last_fired_at: scheduled.lastFiredAt ?? null,
  };
}

export function taskFromRow(row: TaskRow): Task {
  return {
    id: row.id,
    jobId: row.job_id,
    ...optional('parentId', row.parent_id),
    index: row.sibling_index,
    kind: row.kind,
    attempt: row.attempt,
    retries: row.retries,
    ...(row.hand_backs === 0 ? {} : { handBacks: row.hand_backs }),
    ...optional('progress', row.progress),
    state: row.state,
    spec: row.spec as TaskSpec,
    queue: row.queue,
    ...optional('bindings', row.bindings as Record<string, LoopItem> | null),
    ...optional('failure', row.failure as Failure | null),
    ...optional('childCount', row.child_count),
    ...optional('pendingChildren', row.pending_children),
    ...optional('subjobId', row.subjob_id),
    ...optional('masks', row.masks as string[] | null),
    ...optional('nodeId', row.node_id),
    ...optional('result', row.result),
    ...optional('error', row.error),
    createdAt: iso(row.created_at),
    ...optional('scheduledAt', isoOrNull(row.scheduled_at)),
    ...optional('startedAt', isoOrNull(row.started_at)),
    ...optional('completedAt', isoOrNull(row.completed_at)),
    ...optional('failedAt', isoOrNull(row.failed_at)),
    ...optional('cancelledAt', isoOrNull(row.cancelled_at)),
    ...optional('runAt', isoOrNull(row.run_at)),
    ...optional('deadlineAt', isoOrNull(row.deadline_at)),
    ...optional('publishedAt', isoOrNull(row.published_at)),
    ...optional('steps', row.steps as StepReport[] | null),
  };
}

export function taskToRow(task: Task): Insertable<TasksTable> {
  return {
    id: task.id,
    job_id: task.jobId,
    parent_id: task.parentId ?? null,
    sibling_index: task.index,
    kind: task.kind,
    attempt: task.attempt,
    retries: task.retries,
    state: task.state,
    spec: json(task.spec),
    queue: task.queue,
    bindings: jsonOrNull(task.bindings),
    masks: jsonOrNull(task.masks),
    created_at: task.createdAt,
    ...taskPatchToRow(task),
    hand_backs: task.handBacks ?? 0,
  };
}

export function taskPatchToRow(patch: TaskChange['patch']): Updateable<TasksTable> {
  return columns(patch, {
    state: (value) => (value === undefined ? {} : { state: value }),
    queue: (value) => (value === undefined ? {} : { queue: value }),
    nodeId: (value) => ({ node_id: value ?? null }),
    result: (value) => ({ result: text(value) }),
    error: (value) => ({ error: text(value) }),
    scheduledAt: (value) => ({ scheduled_at: value ?? null }),
    startedAt: (value) => ({ started_at: value ?? null }),
    completedAt: (value) => ({ completed_at: value ?? null }),
    failedAt: (value) => ({ failed_at: value ?? null }),
    cancelledAt: (value) => ({ cancelled_at: value ?? null }),
    runAt: (value) => ({ run_at: value ?? null }),
    deadlineAt: (value) => ({ deadline_at: value ?? null }),
    publishedAt: (value) => ({ published_at: value ?? null }),
    steps: (value) => ({ steps: jsonOrNull(value) }),
    failure: (value) => ({ failure: jsonOrNull(value) }),
    childCount: (value) => ({ child_count: value ?? null }),
    pendingChildren: (value) => ({ pending_children: value ?? null }),
    subjobId: (value) => ({ subjob_id: value ?? null }),
    retries: (value) => (value === undefined ? {} : { retries: value }),
    handBacks: (value) => (value === undefined ? {} : { hand_backs: value }),
    progress: (value) => ({ progress: value ?? null }),
    bindings: (value) => ({ bindings: jsonOrNull(value) }),
  });
}

export function logFromRow(row: Selectable<TaskLogsTable>): TaskLogEntry {
  return { taskId: row.task_id, number: row.number, stream: row.stream, text: row.text, at: iso(row.at) };
}

export function logToRow(jobId: string, entry: TaskLogEntry): Insertable<TaskLogsTable> {
  return {
    job_id: jobId,
    task_id: entry.taskId,
    number: entry.number,
    stream: entry.stream,
    text: text(entry.text) ?? '',
    at: entry.at,
  };
}

export function nodeFromRow(row: Selectable<NodesTable>): NodeInfo {
  return {
    id: row.id,
    hostname: row.hostname,
    queues: row.queues as Record<string, number>,
    runningTasks: row.running_tasks,
    ...optional('cpuPercent', row.cpu_percent),
    ...optional('version', row.version),
    startedAt: iso(row.started_at),
    lastHeartbeatAt: iso(row.last_heartbeat_at),
  };
}

export function nodeToRow(node: NodeInfo): Insertable<NodesTable> {
  return {
    id: node.id,
    hostname: node.hostname,
    queues: json(node.queues),
    running_tasks: node.runningTasks,
    cpu_percent: node.cpuPercent ?? null,
    version: node.version ?? null,
    started_at: node.startedAt,
    last_heartbeat_at: node.lastHeartbeatAt,
  };
}

export function apiKeyFromRow(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    keyHash: row.key_hash,
    createdAt: iso(row.created_at),
  };
}

export function apiKeyToRow(key: ApiKeyRecord): Insertable<ApiKeysTable> {
  return { id: key.id, name: key.name, role: key.role, key_hash: key.keyHash, created_at: key.createdAt };
}

export function userFromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    username: row.username,
    ...optional('name', row.name),
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: iso(row.created_at),
  };
}

export function userToRow(user: UserRecord): Insertable<UsersTable> {
  return {
    username: user.username,
    name: user.name ?? null,
    role: user.role,
    password_hash: user.passwordHash,
    created_at: user.createdAt,
  };
}

/** For each field of a patch, the columns it sets. */
type ColumnSetters<P, R> = { [K in keyof P]-?: (value: P[K]) => R };

function columns<P extends object, R extends object>(patch: P, setters: ColumnSetters<P, R>): R {
  const set = <K extends keyof P>(key: K, value: P[K]): R => setters[key](value);
  let row = {} as R;
  for (const name of Object.keys(patch)) {
    // Only fields of the patch type have setters; anything else a caller's object carries is not a column.
    if (!Object.hasOwn(setters, name)) continue;
    const key = name as keyof P;
    row = { ...row, ...set(key, patch[key]) };
  }
  return row;
}

function optional<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

function iso(value: Date): string {
  return value.toISOString();
}

function isoOrNull(value: Date | null): string | null {
  return value === null ? null : iso(value);
}

/** PostgreSQL text cannot hold U+0000, which a task's output may; it is stored as U+FFFD. */
function text(value: string | undefined): string | null {
  return value === undefined ? null : value.replaceAll('\u0000', '\uFFFD');
}

export function eventFromRow(row: Selectable<JobEventsTable>): JobEvent {
  return {
    seq: Number(row.seq),
    jobId: row.job_id,
    ...optional('taskId', row.task_id),
    state: row.state as JobEvent['state'],
    at: iso(row.at),
  };
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : json(value);
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'string' ? item.replaceAll('\u0000', '\uFFFD') : item,
  );
}

export function webhookDeliveryFromRow(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    ...optional('eventSeq', row.event_seq === null ? null : Number(row.event_seq)),
    webhookIndex: row.webhook_index,
    jobId: row.job_id,
    ...optional('taskId', row.task_id),
    event: row.event,
    body: row.body,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: iso(row.next_attempt_at),
    ...optional('lastError', row.last_error),
    createdAt: iso(row.created_at),
  };
}
