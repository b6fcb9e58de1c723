import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type {
  Failure,
  LoopItem,
  StepReport,
  Task,
  TaskChange,
  TaskKind,
  TaskSpec,
  TaskState,
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

export type TaskRow = Selectable<TasksTable>;

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
