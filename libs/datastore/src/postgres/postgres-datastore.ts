import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import {
  TorkError,
  silentLogger,
  type Datastore,
  type Job,
  type JobChange,
  type JobListQuery,
  type JobQuery,
  type Logger,
  type NodeInfo,
  type Page,
  type PageQuery,
  type Task,
  type TaskChange,
  type TaskLogEntry,
  type TaskQuery,
} from '@tork/domain';
import { Batcher } from './batcher.js';
import {
  markPublished,
  selectByIds,
  updateRows,
  type PublishedMark,
  type RowChange,
} from './batched-statements.js';
import { openDatabase } from './connection.js';
import { PostgresCredentialStore } from './postgres-credential-store.js';
import {
  jobFromRow,
  jobPatchToRow,
  jobToRow,
  logFromRow,
  logToRow,
  nodeFromRow,
  nodeToRow,
  taskFromRow,
  taskPatchToRow,
  taskToRow,
  type Database,
  type JobRow,
  type TaskRow,
} from './rows.js';

export interface PostgresDatastoreOptions {
  /** libpq key=value (`host=localhost user=tork dbname=tork sslmode=disable`) or a postgres:// URL. */
  readonly dsn: string;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  /** Work in this schema rather than the connection's default one, e.g. one per test. */
  readonly schema?: string;
  readonly logger?: Logger;
}

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement. */
const INSERT_BATCH = 1_000;

/** Calls per batched statement (inserts, reads, compare-and-sets). */
const MAX_BATCH = 500;

/**
 * The datastore in PostgreSQL (kysely over a pg pool), for services that run as many replicas.
 * Its tables come from `migrate()`. Every change is a compare-and-set
 * (`UPDATE ... WHERE id AND state = ANY(from) RETURNING *`), never a read-modify-write.
 *
 * The calls made per job and per message (insert a job, read a job or a task, apply a change,
 * create a task) are batched by group commit (Batcher): concurrent calls of one shape share one
 * statement, each row still its own compare-and-set. An idle store sends each call at once.
 */
export class PostgresDatastore implements Datastore {
  readonly credentials: PostgresCredentialStore;
  private readonly db: Kysely<Database>;
  private closing: Promise<void> | undefined;
  private readonly jobInserts: Batcher<Job, undefined>;
  private readonly jobReads: Batcher<string, JobRow | undefined>;
  private readonly taskReads: Batcher<string, TaskRow | undefined>;
  private readonly taskInserts: Batcher<Task, Task>;
  private readonly publishedMarks: Batcher<PublishedMark, undefined>;
  /** One batcher per change shape: its from-states and the columns it sets. */
  private readonly jobUpdates = new Map<string, Batcher<RowChange, JobRow | undefined>>();
  private readonly taskUpdates = new Map<string, Batcher<RowChange, TaskRow | undefined>>();

  constructor(options: PostgresDatastoreOptions) {
    this.db = openDatabase<Database>({
      dsn: options.dsn,
      poolSize: options.poolSize ?? 10,
      logger: options.logger ?? silentLogger,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    });
    const byId = (id: string): string => id;
    // A batch with a duplicate id fails whole, then each job is inserted on its own: only the
    // duplicate's caller hears of the conflict.
    this.jobInserts = new Batcher<Job, undefined>(
      async (jobs) => {
        await this.db.insertInto('jobs').values(jobs.map(jobToRow)).execute();
        return jobs.map(() => undefined);
      },
      (job) => job.id,
      MAX_BATCH,
    );
    this.jobReads = new Batcher((ids) => selectByIds(this.db, 'jobs', ids), byId, MAX_BATCH);
    this.taskReads = new Batcher((ids) => selectByIds(this.db, 'tasks', ids), byId, MAX_BATCH);
    this.publishedMarks = new Batcher<PublishedMark, undefined>(
      async (marks) => {
        await markPublished(this.db, marks);
        return marks.map(() => undefined);
      },
      (mark) => mark.id,
      MAX_BATCH,
    );
    this.taskInserts = new Batcher<Task, Task>((tasks) => this.insertTasks(tasks), executionKey, MAX_BATCH);
    this.credentials = new PostgresCredentialStore(this.db);
  }

  async createJob(job: Job): Promise<void> {
    try {
      await this.jobInserts.submit(job);
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION)
        throw new TorkError('CONFLICT', `job ${job.id} already exists`, { cause: error });
      throw error;
    }
  }

  async getJob(id: string): Promise<Job | undefined> {
    const row = await this.jobReads.submit(id);
    return row === undefined ? undefined : jobFromRow(row);
  }

  async listJobs(query: JobListQuery): Promise<Page<Job>> {
    const { visibleTo } = query;
    // The SQL of isJobVisibleTo: no permissions, the viewer's own job, or a permission naming them.
    const visible =
      visibleTo === undefined || visibleTo.role === 'admin'
        ? sql<boolean>`true`
        : sql<boolean>`(permissions is null
            or created_by ->> 'name' = ${visibleTo.name}
            or permissions @> ${JSON.stringify([{ user: visibleTo.name }])}::jsonb
            or permissions @> ${JSON.stringify([{ role: visibleTo.role }])}::jsonb)`;
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('jobs')
        .selectAll()
        .where(visible)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.db
        .selectFrom('jobs')
        .where(visible)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(jobFromRow), query, Number(total.count));
  }

  async findJobs(query: JobQuery): Promise<Job[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where((eb) => eb('state', '=', eb.fn.any(eb.val([...query.states]))))
      .where('created_at', '<=', new Date(query.createdBefore))
      .orderBy('created_at')
      .orderBy('id')
      .limit(query.limit)
      .execute();
    return rows.map(jobFromRow);
  }

  async updateJob(id: string, change: JobChange): Promise<Job | undefined> {
    const values = jobPatchToRow(change.patch);
    const batcher = this.updates(this.jobUpdates, 'jobs', change.from, values);
    const row = await batcher.submit({ id, values });
    return row === undefined ? undefined : jobFromRow(row);
  }

  createTask(task: Task): Promise<Task> {
    return this.taskInserts.submit(task);
  }

  async getTask(id: string): Promise<Task | undefined> {
    const row = await this.taskReads.submit(id);
    return row === undefined ? undefined : taskFromRow(row);
  }

  async listTasks(jobId: string): Promise<Task[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('position')
      .orderBy('attempt')
      .execute();
    return rows.map(taskFromRow);
  }

  async findTasks(query: TaskQuery): Promise<Task[]> {
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
    // Served by the partial index tasks_scheduled_published_idx (state = 'SCHEDULED').
    if (publishedBy !== undefined) select = select.where('published_at', '<=', new Date(publishedBy));
    const rows = await select.orderBy('created_at').orderBy('id').limit(query.limit).execute();
    return rows.map(taskFromRow);
  }

  async updateTask(id: string, change: TaskChange): Promise<Task | undefined> {
    const values = taskPatchToRow(change.patch);
    const batcher = this.updates(this.taskUpdates, 'tasks', change.from, values);
    const row = await batcher.submit({ id, values });
    return row === undefined ? undefined : taskFromRow(row);
  }

  markTaskPublished(id: string, at: string): Promise<void> {
    return this.publishedMarks.submit({ id, at }).then(() => undefined);
  }

  /** The batcher of the changes shaped like this one: same from-states, same columns set. */
  private updates<T extends 'jobs' | 'tasks'>(
    batchers: Map<string, Batcher<RowChange, (T extends 'jobs' ? JobRow : TaskRow) | undefined>>,
    table: T,
    from: readonly string[],
    values: object,
  ): Batcher<RowChange, (T extends 'jobs' ? JobRow : TaskRow) | undefined> {
    const columns = Object.keys(values).sort();
    const states = [...from].sort();
    const shape = `${states.join(',')}|${columns.join(',')}`;
    let batcher = batchers.get(shape);
    if (batcher === undefined) {
      batcher = new Batcher(
        (changes) => updateRows(this.db, table, states, columns, changes),
        (change) => change.id,
        MAX_BATCH,
      );
      batchers.set(shape, batcher);
    }
    return batcher;
  }

  /** Inserts the executions not stored yet; answers each with the stored one (idempotent per execution). */
  private async insertTasks(tasks: readonly Task[]): Promise<Task[]> {
    // In execution-key order, so that two batches inserting the same executions cannot deadlock.
    const rows = [...tasks].sort((a, b) => compare(executionKey(a), executionKey(b))).map(taskToRow);
    const inserted = await this.db
      .insertInto('tasks')
      .values(rows)
      .onConflict((oc) => oc.constraint('tasks_execution_key').doNothing())
      .returningAll()
      .execute();
    const byKey = new Map(inserted.map((row) => [executionKey(taskFromRow(row)), taskFromRow(row)]));
    return Promise.all(
      tasks.map(async (task) => {
        const created = byKey.get(executionKey(task));
        if (created !== undefined) return created;
        // Another call created this execution first: answer with the stored one.
        const stored = await this.db
          .selectFrom('tasks')
          .selectAll()
          .where('job_id', '=', task.jobId)
          .where('position', '=', task.position)
          .where('attempt', '=', task.attempt)
          .executeTakeFirstOrThrow();
        return taskFromRow(stored);
      }),
    );
  }

  async appendLogs(entries: readonly TaskLogEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += INSERT_BATCH) {
      // Each batch is idempotent on its own, so a failed call may simply be repeated.
      await this.db
        .insertInto('task_logs')
        .values(entries.slice(start, start + INSERT_BATCH).map(logToRow))
        .onConflict((oc) => oc.columns(['task_id', 'number']).doNothing())
        .execute();
    }
  }

  async getLogs(taskId: string, query: PageQuery): Promise<Page<TaskLogEntry>> {
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('task_logs')
        .selectAll()
        .where('task_id', '=', taskId)
        .orderBy('number')
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.db
        .selectFrom('task_logs')
        .where('task_id', '=', taskId)
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(logFromRow), query, Number(total.count));
  }

  async upsertNode(node: NodeInfo): Promise<void> {
    await this.db
      .insertInto('nodes')
      .values(nodeToRow(node))
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            hostname: eb.ref('excluded.hostname'),
            queues: eb.ref('excluded.queues'),
            running_tasks: eb.ref('excluded.running_tasks'),
            started_at: eb.ref('excluded.started_at'),
            last_heartbeat_at: eb.ref('excluded.last_heartbeat_at'),
          }))
          // An older heartbeat, delivered late, must not replace a newer one.
          .where('nodes.last_heartbeat_at', '<=', (eb) => eb.ref('excluded.last_heartbeat_at')),
      )
      .execute();
  }

  async listNodes(): Promise<NodeInfo[]> {
    const rows = await this.db
      .selectFrom('nodes')
      .selectAll()
      .orderBy('last_heartbeat_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(nodeFromRow);
  }

  async runExclusive(name: string, work: () => Promise<void>): Promise<boolean> {
    // A session lock on one pooled connection, held while the work runs on the pool.
    return this.db.connection().execute(async (connection) => {
      const key = sql`hashtextextended(${name}, 0)`;
      const locked = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(
        connection,
      );
      if (locked.rows[0]?.locked !== true) return false;
      try {
        await work();
        return true;
      } finally {
        await sql`select pg_advisory_unlock(${key})`.execute(connection);
      }
    });
  }

  async healthCheck(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Ends the pool once in-flight queries are done; later calls reject. Safe to call again. */
  close(): Promise<void> {
    this.closing ??= this.db.destroy();
    return this.closing;
  }
}

const UNIQUE_VIOLATION = '23505';

/** A task execution's identity: one exists per (job, position, attempt). */
function executionKey(task: Pick<Task, 'jobId' | 'position' | 'attempt'>): string {
  return `${task.jobId}/${String(task.position)}/${String(task.attempt)}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function page<T>(items: T[], query: PageQuery, totalItems: number): Page<T> {
  return {
    items,
    number: query.page,
    size: query.size,
    totalPages: Math.ceil(totalItems / query.size),
    totalItems,
  };
}
