import { sql, type Kysely, type RawBuilder } from 'kysely';
import { JOB_PATCH_TYPES, TASK_PATCH_TYPES, type Database, type JobRow, type TaskRow } from './rows.js';

/*
 * The statements behind the datastore's batched calls: each serves many calls of one shape at once
 * (see Batcher). Table and column names come from the fixed lists in rows.ts, never from input.
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
}

/**
 * Applies each change to its row when the row's state is one of `from` (compare-and-set per row,
 * as one statement per row would); answers the updated rows, undefined where a change did not apply.
 * Every change sets the same `columns`. Rows are locked in id order first, so two batches that
 * share rows (two schedulers) cannot deadlock.
 */
export async function updateRows<T extends Table>(
  db: Kysely<Database>,
  table: T,
  from: readonly string[],
  columns: readonly string[],
  changes: readonly RowChange[],
): Promise<(RowOf<T> | undefined)[]> {
  const ids = changes.map((change) => change.id);
  const arrays: RawBuilder<unknown>[] = [sql`${ids}::text[]`];
  for (const column of columns) {
    const values = changes.map((change) => change.values[column] ?? null);
    arrays.push(sql`${values}::${sql.raw(typeOf(table, column))}[]`);
  }
  const names = sql.join(['id', ...columns].map((name) => sql.ref(name)));
  const sets =
    columns.length === 0
      ? sql`id = t.id`
      : sql.join(columns.map((column) => sql`${sql.ref(column)} = ${sql.ref(`v.${column}`)}`));
  const { rows } = await sql<RowOf<T>>`
    with v as (select * from unnest(${sql.join(arrays)}) as v(${names})),
    locked as materialized (
      select id from ${sql.raw(table)} where id = any(${ids}::text[]) order by id for update
    )
    update ${sql.raw(table)} as t set ${sets}
    from v
    where t.id = v.id and t.id in (select id from locked) and t.state = any(${[...from]}::text[])
    returning t.*`.execute(db);
  return inOrder(ids, rows);
}

export interface PublishedMark {
  readonly id: string;
  readonly at: string;
}

/**
 * Sets `published_at` of the tasks still SCHEDULED, answering nothing: one small statement per
 * batch on the path of every task. Rows are locked in id order first, as updateRows does, since a
 * batch of starts may hold the same tasks.
 */
export async function markPublished(db: Kysely<Database>, marks: readonly PublishedMark[]): Promise<void> {
  const ids = marks.map((mark) => mark.id);
  const ats = marks.map((mark) => mark.at);
  await sql`
    with locked as materialized (
      select id from tasks where id = any(${ids}::text[]) order by id for update
    )
    update tasks as t set published_at = v.at
    from unnest(${ids}::text[], ${ats}::timestamptz[]) as v(id, at)
    where t.id = v.id and t.id in (select id from locked) and t.state = 'SCHEDULED'`.execute(db);
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
