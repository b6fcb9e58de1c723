import { sql, type Kysely } from 'kysely';
import type {
  Page,
  PageQuery,
  QueuedTaskCount,
  Settled,
  Task,
  TaskChange,
  TaskOverview,
  TaskQuery,
  TaskState,
  TaskStore,
} from '@tork/domain';
import { Batcher } from './batcher.js';
import {
  markPublished,
  selectByIds,
  settleRows,
  updateRows,
  type PublishedMark,
  type RowChange,
  type SettleRow,
} from './batched-statements.js';
import { INSERT_BATCH, MAX_BATCH, page } from './page.js';
import type { Database } from './rows/database.js';
import { taskFromRow, taskPatchToRow, taskToRow, type TaskRow } from './rows/tasks.js';
import { shapeOf, type ShapedBatchers } from './shapes.js';

/** The unique index of executions, as ON CONFLICT names it. */
/**
 * How long a `published_at` waits to go with others. Its callers do not wait for it, and most tasks
 * have moved on from SCHEDULED by then (their worker was quicker), so the statement changes few rows.
 */
const PUBLISHED_MARK_LINGER_MS = 500;

const EXECUTION_KEY = sql`(coalesce(parent_id, job_id)), sibling_index, attempt`;

export class PgTaskStore implements TaskStore {
  private readonly reads: Batcher<string, TaskRow | undefined>;
  private readonly inserts: Batcher<Task, Task>;
  private readonly publishedMarks: Batcher<PublishedMark, undefined>;
  private readonly updates: ShapedBatchers<TaskRow | undefined> = new Map();
  private readonly settles: ShapedBatchers<Settled> = new Map();

  constructor(private readonly db: Kysely<Database>) {
    this.reads = new Batcher(
      (ids) => selectByIds(db, 'tasks', ids),
      (id) => id,
      MAX_BATCH,
    );
    this.inserts = new Batcher<Task, Task>((tasks) => this.insert(tasks), executionKey, MAX_BATCH);
    this.publishedMarks = new Batcher<PublishedMark, undefined>(
      async (marks) => {
        await markPublished(db, marks);
        return marks.map(() => undefined);
      },
      (mark) => mark.id,
      MAX_BATCH,
      PUBLISHED_MARK_LINGER_MS,
    );
  }

  /** Sends the `published_at` marks still held (before the store closes). */
  drain(): Promise<void> {
    return this.publishedMarks.drain();
  }

  async create(tasks: readonly Task[]): Promise<Task[]> {
    // A few at a time go through group commit with other callers; a fan-out goes in large inserts.
    if (tasks.length <= 16) return Promise.all(tasks.map((task) => this.inserts.submit(task)));
    const stored: Task[] = [];
    for (let start = 0; start < tasks.length; start += INSERT_BATCH)
      stored.push(...(await this.insert(tasks.slice(start, start + INSERT_BATCH))));
    return stored;
  }

  async get(id: string): Promise<Task | undefined> {
    const row = await this.reads.submit(id);
    return row === undefined ? undefined : taskFromRow(row);
  }

  async list(jobId: string, query: { readonly parentId?: string | null } = {}): Promise<Task[]> {
    const rows = await this.select(jobId, query.parentId).execute();
    return rows.map(taskFromRow);
  }

  async page(jobId: string, query: PageQuery & { readonly parentId?: string | null }): Promise<Page<Task>> {
    const [rows, total] = await Promise.all([
      this.select(jobId, query.parentId)
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.filtered(jobId, query.parentId)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(taskFromRow), query, Number(total.count));
  }

  async overview(jobId: string, childLimit: number): Promise<TaskOverview> {
    const [shown, counts] = await Promise.all([
      sql<TaskRow>`
        select * from (
          select t.*, row_number() over (partition by parent_id order by sibling_index, attempt) as child_rank
          from tasks t where job_id = ${jobId}
        ) ranked
        where parent_id is null or child_rank <= ${childLimit}
        order by seq`.execute(this.db),
      sql<{ parent_id: string; state: TaskState; count: string }>`
        select parent_id, state, count(*) as count from tasks
        where job_id = ${jobId} and parent_id is not null
        group by parent_id, state`.execute(this.db),
    ]);
    const childCounts: Record<string, Partial<Record<TaskState, number>>> = {};
    for (const row of counts.rows) (childCounts[row.parent_id] ??= {})[row.state] = Number(row.count);
    return { tasks: shown.rows.map(taskFromRow), childCounts };
  }

  async countQueued(): Promise<QueuedTaskCount[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['queue', 'state', (eb) => eb.fn.countAll<string>().as('count')])
      .where('kind', '=', 'task')
      .where('state', 'in', ['PENDING', 'SCHEDULED', 'RUNNING'])
      .groupBy(['queue', 'state'])
      .execute();
    return rows.map((row) => ({
      queue: row.queue,
      state: row.state as QueuedTaskCount['state'],
      count: Number(row.count),
    }));
  }

  async find(query: TaskQuery): Promise<Task[]> {
    const { nodeIds, dueBy, deadlineBy, delayedOnly, unpublishedBy, publishedBy } = query;
    let select = this.db
      .selectFrom('tasks')
      .selectAll()
      .where((eb) => eb('state', '=', eb.fn.any(eb.val([...query.states]))));
    if (nodeIds !== undefined)
      select = select.where((eb) => eb('node_id', '=', eb.fn.any(eb.val([...nodeIds]))));
    // Spelled as the partial index tasks_pending_due_idx is, so that it serves this query.
    if (dueBy !== undefined)
      select = select.where(sql<Date>`coalesce(run_at, created_at)`, '<=', new Date(dueBy));
    if (delayedOnly === true) select = select.where('run_at', 'is not', null);
    if (deadlineBy !== undefined) select = select.where('deadline_at', '<=', new Date(deadlineBy));
    // Spelled as the partial index tasks_unpublished_idx is, so that it serves this query.
    if (unpublishedBy !== undefined)
      select = select.where('published_at', 'is', null).where('scheduled_at', '<=', new Date(unpublishedBy));
    // Spelled as the partial index tasks_scheduled_published_idx is, so that it serves this query.
    if (publishedBy !== undefined) select = select.where('published_at', '<=', new Date(publishedBy));
    const rows = await select.orderBy('created_at').orderBy('id').limit(query.limit).execute();
    return rows.map(taskFromRow);
  }

  async update(id: string, change: TaskChange): Promise<Task | undefined> {
    const values = taskPatchToRow(change.patch);
    const { key, states, columns } = shapeOf(change.from, values);
    let batcher = this.updates.get(key);
    if (batcher === undefined) {
      batcher = new Batcher(
        (changes: readonly RowChange[]) => updateRows(this.db, 'tasks', states, columns, changes),
        (rowChange) => rowChange.id,
        MAX_BATCH,
      );
      this.updates.set(key, batcher);
    }
    const row = await batcher.submit({ id, values, at: change.at ?? new Date().toISOString() });
    return row === undefined ? undefined : taskFromRow(row);
  }

  settle(id: string, change: TaskChange): Promise<Settled> {
    const values = taskPatchToRow(change.patch);
    const { key, states, columns } = shapeOf(change.from, values);
    let batcher = this.settles.get(key);
    if (batcher === undefined) {
      batcher = new Batcher(
        async (changes: readonly RowChange[]) =>
          settledOf(changes, await settleRows(this.db, states, columns, changes)),
        (rowChange) => rowChange.id,
        MAX_BATCH,
      );
      this.settles.set(key, batcher);
    }
    return batcher.submit({ id, values, at: change.at ?? new Date().toISOString() });
  }

  async cancelActive(jobId: string, at: string): Promise<Task[]> {
    const { rows } = await sql<TaskRow>`
      with locked as materialized (
        select id from tasks
        where job_id = ${jobId} and state in ('CREATED', 'PENDING', 'SCHEDULED', 'RUNNING')
          -- A restart overtook the end that asked: what is active now is the restarted run's.
          and exists (select 1 from jobs where id = ${jobId} and state in ('FAILED', 'CANCELLED'))
        order by id for update
      ),
      cancelled as (
        update tasks set state = 'CANCELLED', cancelled_at = ${new Date(at)}
        where id in (select id from locked) and state in ('CREATED', 'PENDING', 'SCHEDULED', 'RUNNING')
        returning *
      ),
      events as (
        insert into job_events (job_id, task_id, state, at)
        select job_id, id, state, cancelled_at from cancelled
      )
      select * from cancelled`.execute(this.db);
    return rows.map(taskFromRow);
  }

  markPublished(id: string, at: string): Promise<void> {
    return this.publishedMarks.submit({ id, at }).then(() => undefined);
  }

  /** Inserts the executions not stored yet; answers each with the stored one (idempotent per execution). */
  async recordProgress(taskId: string, progress: number): Promise<boolean> {
    // The job's share is computed in the same statement as the task's: no read, no lost update.
    const { rows } = await sql<{ id: string }>`
      with task as (
        update tasks set progress = ${progress}
        where id = ${taskId} and state = 'RUNNING'
        returning id, job_id, parent_id, sibling_index
      ), job as (
        update jobs set progress = round(least(100, greatest(0,
          (task.sibling_index + ${progress}::numeric / 100) / greatest(jsonb_array_length(jobs.tasks), 1) * 100)), 2)
        from task
        where jobs.id = task.job_id and task.parent_id is null
      )
      select id from task`.execute(this.db);
    return rows.length > 0;
  }

  private async insert(tasks: readonly Task[]): Promise<Task[]> {
    // In execution-key order, so that two batches inserting the same executions cannot deadlock.
    const rows = [...tasks].sort((a, b) => compare(executionKey(a), executionKey(b))).map(taskToRow);
    const inserted = await this.db
      .with('inserted', (qb) =>
        qb
          .insertInto('tasks')
          .values(rows)
          .onConflict((oc) => oc.expression(EXECUTION_KEY).doNothing())
          .returningAll(),
      )
      // A task stored already SCHEDULED (sent at once) was PENDING at its creation first.
      .with('events', (qb) =>
        qb
          .insertInto('job_events')
          .columns(['job_id', 'task_id', 'state', 'at'])
          .expression(
            sql`select job_id, id, state, at from (
              select job_id, id,
                case when state = 'SCHEDULED' and scheduled_at is not null then 'PENDING' else state end as state,
                created_at as at, 0 as step
              from inserted
              union all
              select job_id, id, state, scheduled_at, 1 from inserted
              where state = 'SCHEDULED' and scheduled_at is not null
            ) e order by step`,
          ),
      )
      .selectFrom('inserted')
      .selectAll()
      .execute();
    const byKey = new Map(inserted.map((row) => [executionKey(taskFromRow(row)), taskFromRow(row)]));
    const missing = tasks.filter((task) => !byKey.has(executionKey(task)));
    if (missing.length > 0) {
      // Other calls created these executions first: answer with the stored ones.
      const { rows: stored } = await sql<TaskRow>`
        select t.* from tasks t
        join unnest(
          ${missing.map((task) => task.parentId ?? task.jobId)}::text[],
          ${missing.map((task) => task.index)}::integer[],
          ${missing.map((task) => task.attempt)}::integer[]
        ) as k(parent_key, sibling_index, attempt)
          on coalesce(t.parent_id, t.job_id) = k.parent_key and t.sibling_index = k.sibling_index and t.attempt = k.attempt`.execute(
        this.db,
      );
      for (const row of stored) {
        const task = taskFromRow(row);
        byKey.set(executionKey(task), task);
      }
    }
    return tasks.map((task) => {
      const stored = byKey.get(executionKey(task));
      if (stored === undefined)
        throw new Error(`execution ${executionKey(task)} was neither inserted nor found`);
      return stored;
    });
  }

  private filtered(jobId: string, parentId: string | null | undefined) {
    let query = this.db.selectFrom('tasks').where('job_id', '=', jobId);
    if (parentId === null) query = query.where('parent_id', 'is', null);
    else if (parentId !== undefined) query = query.where('parent_id', '=', parentId);
    return query;
  }

  private select(jobId: string, parentId: string | null | undefined) {
    const query = this.filtered(jobId, parentId).selectAll();
    // Every execution of a job: in the order they were created.
    if (parentId === undefined) return query.orderBy('seq');
    return query.orderBy('sibling_index').orderBy('attempt');
  }
}

/** Each change's outcome: its task (when it applied), its parent as counted and a promoted sibling. */
function settledOf(changes: readonly RowChange[], rows: readonly SettleRow[]): Settled[] {
  const tasks = new Map<string, Task>();
  const parents = new Map<string, Task>();
  const promoted = new Map<string, Task[]>();
  for (const row of rows) {
    const task = taskFromRow(row);
    if (row.role === 'task') tasks.set(task.id, task);
    else if (row.role === 'parent') parents.set(task.id, task);
    else if (task.parentId !== undefined)
      promoted.set(task.parentId, [...(promoted.get(task.parentId) ?? []), task]);
  }
  // Siblings settled by one statement are answered as if settled one after another, in the order
  // of the calls: each sees the count its own settle left, so exactly one sees the last.
  const remaining = new Map<string, number>();
  for (const change of changes) {
    const parentId = tasks.get(change.id)?.parentId;
    if (parentId !== undefined) remaining.set(parentId, (remaining.get(parentId) ?? 0) + 1);
  }
  return changes.map((change) => {
    const task = tasks.get(change.id);
    if (task === undefined) return {};
    const counted = task.parentId === undefined ? undefined : parents.get(task.parentId);
    let parent: Task | undefined;
    if (counted !== undefined) {
      const later = (remaining.get(counted.id) ?? 1) - 1;
      remaining.set(counted.id, later);
      parent = { ...counted, pendingChildren: (counted.pendingChildren ?? 0) + later };
    }
    const sibling = task.parentId === undefined ? undefined : promoted.get(task.parentId)?.shift();
    return {
      task,
      ...(parent === undefined ? {} : { parent }),
      ...(sibling === undefined ? {} : { promoted: sibling }),
    };
  });
}

/** A task execution's identity: one exists per (parent or job, index, attempt). */
function executionKey(task: Pick<Task, 'jobId' | 'parentId' | 'index' | 'attempt'>): string {
  return `${task.parentId ?? task.jobId}/${String(task.index)}/${String(task.attempt)}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
