import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type {
  AutoDeleteSpec,
  CreatedBy,
  Job,
  JobChange,
  JobDefaults,
  JobListItem,
  JobSchedule,
  JobState,
  Permission,
  TaskSpec,
  WebhookSpec,
} from '@tork/domain';
import {
  columns,
  iso,
  isoOrNull,
  json,
  jsonOrNull,
  optional,
  text,
  type Json,
  type OptionalJson,
  type OptionalTimestamp,
  type Timestamp,
} from './columns.js';

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

export interface JobVarsTable {
  job_id: string;
  name: string;
  value: string;
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

export type JobRow = Selectable<JobsTable>;

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
