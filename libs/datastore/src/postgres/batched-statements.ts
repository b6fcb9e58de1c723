import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './rows/database.js';
import { JOB_PATCH_TYPES, type JobRow } from './rows/jobs.js';
import { TASK_PATCH_TYPES, type TaskRow } from './rows/tasks.js';

/*
 * The statements behind the datastore's batched calls: each serves many calls of one shape at once
 * (see Batcher). Table and column names come from the fixed lists in rows/jobs.ts and
 * rows/tasks.ts, never from input.
 * A statement that sets a state also records it in job_events, in the same statement.
 */

type Table = 'jobs' | 'tasks';
type RowOf<T extends Table> = T extends 'jobs' ? JobRow : TaskRow;

const PATCH_TYPES: Readonly<Record<Table, Readonly<Partial<Record<string, string>>>>> = {
  jobs: JOB_PATCH_TYPES,
  tasks: TASK_PATCH_TYPES,
};

/** The rows with these ids, in the ids' order; undefined where there is none. */
export async function selectByIds<T extends Table>(
  db: Kysely<Database>,
  table: T,
  ids: readonly string[],
): Promise<(RowOf<T> | undefined)[]> {
  const { rows } = await sql<
    RowOf<T>
  >`select * from ${sql.raw(table)} where id = any(${[...ids]}::text[])`.execute(db);
  return inOrder(ids, rows);
}

/** One row's change: the columns it sets, each a column of the table's patch types. */
export interface RowChange {
  readonly id: string;
  readonly values: Readonly<Record<string, unknown>>;
  /** When the change happened: the time of the event a state change records. */
  readonly at: string;
}

/**
 * Applies each change to its row when the row's state is one of `from` (compare-and-set per row,
 * as one statement per row would); answers the updated rows, undefined where a change did not apply.
 * Every change sets the same `columns`. Rows are locked in id order first, so two batches that
 * share rows (two schedulers) cannot deadlock.
 */
export function updateRows<T extends Table>(
  db: Kysely<Database>,
  table: T,
  from: readonly string[],
  columns: readonly string[],
  changes: readonly RowChange[],
): Promise<(RowOf<T> | undefined)[]>;
/** As above, answering only the ids of the rows it changed: a caller that needs no row reads none. */
export function updateRows(
  db: Kysely<Database>,
  table: Table,
  from: readonly string[],
  columns: readonly string[],
  changes: readonly RowChange[],
  answer: 'id',
): Promise<({ id: string } | undefined)[]>;
export async function updateRows<T extends Table>(
  db: Kysely<Database>,
  table: T,
  from: readonly string[],
  columns: readonly string[],
  changes: readonly RowChange[],
  answer: 'row' | 'id' = 'row',
): Promise<({ id: string } | undefined)[]> {
  const ids = changes.map((change) => change.id);
  const { v, sets } = changeValues(table, columns, changes);
  const events = !columns.includes('state')
    ? sql``
    : table === 'jobs'
      ? sql`, events as (${jobEvents(columns.includes('started_at'))})`
      : sql`, events as (${taskEvents('updated')})`;
  const { rows } = await sql<RowOf<T>>`
    with v as (${v}),
    locked as materialized (
      select id, state from ${sql.raw(table)} where id = any(${ids}::text[]) order by id for update
    ),
    updated as (
      update ${sql.raw(table)} as t set ${sets}
      from v
      where t.id = v.id and t.id in (select id from locked) and t.state = any(${[...from]}::text[])
      returning ${answer === 'id' ? sql`t.id, t.state` : sql`t.*`}
    )${events}
    select ${answer === 'id' ? sql`id` : sql`*`} from updated`.execute(db);
  return inOrder(ids, rows);
}

/** The row a settled task leads to: itself, its parent as counted, or a sibling given a slot. */
export type SettleRow = TaskRow & { readonly role: 'task' | 'parent' | 'promoted' };

/**
 * Ends tasks well with the fan-in, all in one statement: each change applies as in updateRows;
 * for the tasks it applied to, a COMPLETED task's `var` goes into job_vars, each parent's
 * `pending_children` goes down by its children settled here, and as many CREATED siblings become
 * PENDING (in index order; rows another statement holds are skipped). Children are locked in id
 * order, then parents in id order, so that concurrent batches cannot deadlock.
 */
export async function settleRows(
  db: Kysely<Database>,
  from: readonly string[],
  columns: readonly string[],
  changes: readonly RowChange[],
): Promise<SettleRow[]> {
  const ids = changes.map((change) => change.id);
  const { v, sets } = changeValues('tasks', columns, changes);
  const { rows } = await sql<SettleRow>`
    with v as (${v}),
    locked as materialized (
      select id, state from tasks where id = any(${ids}::text[]) order by id for update
    ),
    changed as (
      update tasks as t set ${sets}
      from v
      where t.id = v.id and t.id in (select id from locked) and t.state = any(${[...from]}::text[])
      returning t.*
    ),
    events as (${taskEvents('changed')}),
    vars as (
      insert into job_vars (job_id, name, value)
      select distinct on (job_id, spec->>'var') job_id, spec->>'var', coalesce(result, '')
      from changed where state = 'COMPLETED' and spec ? 'var'
      order by job_id, spec->>'var', completed_at desc
      on conflict (job_id, name) do update set value = excluded.value
    ),
    counts as (
      select parent_id, count(*)::integer as n from changed where parent_id is not null group by parent_id
    ),
    parents_locked as materialized (
      select id from tasks where id in (select parent_id from counts) order by id for update
    ),
    parents as (
      update tasks as p set pending_children = p.pending_children - counts.n
      from counts
      where p.id = counts.parent_id and p.id in (select id from parents_locked)
      returning p.*
    ),
    next as (
      select w.id from counts cross join lateral (
        select id from tasks
        where parent_id = counts.parent_id and state = 'CREATED'
        order by sibling_index limit counts.n
        for update skip locked
      ) w
    ),
    promoted as (
      update tasks as w set state = 'PENDING' from next where w.id = next.id returning w.*
    ),
    promoted_events as (
      insert into job_events (job_id, task_id, state, at)
      select job_id, id, state, (select max(event_at) from v) from promoted
    )
    select 'task' as role, * from changed
    union all select 'parent' as role, * from parents
    union all select 'promoted' as role, * from promoted`.execute(db);
  return rows;
}

export interface PublishedMark {
  readonly id: string;
  readonly at: string;
}

/**
 * Sets `published_at` of the tasks still SCHEDULED, answering nothing: one small statement per
 * batch on the path of every task. Rows are locked in id order first, as updateRows does, since a
 * batch of starts may hold the same tasks; only those still SCHEDULED, so the many that have
 * moved on by then are neither locked nor written.
 */
export async function markPublished(db: Kysely<Database>, marks: readonly PublishedMark[]): Promise<void> {
  const ids = marks.map((mark) => mark.id);
  const ats = marks.map((mark) => mark.at);
  await sql`
    with locked as materialized (
      select id from tasks where id = any(${ids}::text[]) and state = 'SCHEDULED' order by id for update
    )
    update tasks as t set published_at = v.at
    from unnest(${ids}::text[], ${ats}::timestamptz[]) as v(id, at)
    where t.id = v.id and t.id in (select id from locked) and t.state = 'SCHEDULED'`.execute(db);
}

/**
 * The job_events of tasks a statement changed (the CTE `name`, joined with `v` and `locked`): each
 * new state at its change's time. A task that ends straight from SCHEDULED with a start time ran
 * without its start on record (its worker reported start and end at once, or the end overtook the
 * start): its RUNNING goes first, at that time, so that its events read as it ran.
 */
function taskEvents(name: 'updated' | 'changed'): RawBuilder<unknown> {
  const changed = sql.raw(name);
  return sql`
      insert into job_events (job_id, task_id, state, at)
      select job_id, task_id, state, at from (
        select c.job_id, c.id as task_id, 'RUNNING' as state, c.started_at as at, 0 as step
        from ${changed} c join locked l on l.id = c.id
        where l.state = 'SCHEDULED' and c.state in ('COMPLETED', 'FAILED') and c.started_at is not null
        union all
        select c.job_id, c.id, c.state, v.event_at, 1 from ${changed} c join v on v.id = c.id
      ) e order by step`;
}

/**
 * The job_events of jobs updateRows changed: each new state at its change's time. A job that ends
 * straight from SCHEDULED with a start time (its only task reported start and end at once) gets
 * its RUNNING first, at that time, as a task does in {@link taskEvents}.
 */
function jobEvents(setsStart: boolean): RawBuilder<unknown> {
  const ended = sql`select u.id, null::text, u.state, v.event_at, 1 from updated u join v on v.id = u.id`;
  if (!setsStart)
    return sql`
      insert into job_events (job_id, task_id, state, at)
      select u.id, null, u.state, v.event_at from updated u join v on v.id = u.id`;
  return sql`
      insert into job_events (job_id, task_id, state, at)
      select job_id, task_id, state, at from (
        select u.id as job_id, null::text as task_id, 'RUNNING' as state, v.started_at as at, 0 as step
        from updated u join v on v.id = u.id join locked l on l.id = u.id
        where l.state = 'SCHEDULED' and u.state in ('COMPLETED', 'FAILED')
        union all
        ${ended}
      ) e order by step`;
}

/** The changes as a relation `v(id, <columns>, event_at)`, and the SET list that reads it. */
function changeValues(
  table: Table,
  columns: readonly string[],
  changes: readonly RowChange[],
): { v: RawBuilder<unknown>; sets: RawBuilder<unknown> } {
  const arrays: RawBuilder<unknown>[] = [sql`${changes.map((change) => change.id)}::text[]`];
  for (const column of columns) {
    const values = changes.map((change) => change.values[column] ?? null);
    arrays.push(sql`${values}::${sql.raw(typeOf(table, column))}[]`);
  }
  arrays.push(sql`${changes.map((change) => change.at)}::timestamptz[]`);
  const names = sql.join(['id', ...columns, 'event_at'].map((name) => sql.ref(name)));
  const sets =
    columns.length === 0
      ? sql`id = t.id`
      : sql.join(columns.map((column) => sql`${sql.ref(column)} = ${sql.ref(`v.${column}`)}`));
  return { v: sql`select * from unnest(${sql.join(arrays)}) as v(${names})`, sets };
}

function typeOf(table: Table, column: string): string {
  const type = PATCH_TYPES[table][column];
  if (type === undefined) throw new Error(`${table}.${column} is not a column a change may set`);
  return type;
}

function inOrder<R extends { id: string }>(ids: readonly string[], rows: readonly R[]): (R | undefined)[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id));
}
