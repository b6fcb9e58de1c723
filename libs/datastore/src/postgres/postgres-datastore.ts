import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import {
  TorkError,
  silentLogger,
  type Datastore,
  type Job,
  type JobChange,
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
import { openDatabase } from './connection.js';
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

/**
 * The datastore in PostgreSQL (kysely over a pg pool), for services that run as many replicas.
 * Its tables come from `migrate()`. Every change is one compare-and-set statement
 * (`UPDATE ... WHERE id = $1 AND state = ANY($2) RETURNING *`), never a read-modify-write.
 */
export class PostgresDatastore implements Datastore {
  private readonly db: Kysely<Database>;
  private closing: Promise<void> | undefined;

  constructor(options: PostgresDatastoreOptions) {
    this.db = openDatabase<Database>({
      dsn: options.dsn,
      poolSize: options.poolSize ?? 10,
      logger: options.logger ?? silentLogger,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    });
  }

  async createJob(job: Job): Promise<void> {
    try {
      await this.db.insertInto('jobs').values(jobToRow(job)).execute();
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION)
        throw new TorkError('CONFLICT', `job ${job.id} already exists`, { cause: error });
      throw error;
    }
  }

  async getJob(id: string): Promise<Job | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : jobFromRow(row);
  }

  async listJobs(query: PageQuery): Promise<Page<Job>> {
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('jobs')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.size)
        .offset((query.page - 1) * query.size)
        .execute(),
      this.db
        .selectFrom('jobs')
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
    const patch = jobPatchToRow(change.patch);
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => (Object.keys(patch).length === 0 ? { id: eb.ref('id') } : patch))
      .where('id', '=', id)
      .where((eb) => eb('state', '=', eb.fn.any(eb.val([...change.from]))))
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : jobFromRow(row);
  }

  async createTask(task: Task): Promise<Task> {
    const inserted = await this.db
      .insertInto('tasks')
      .values(taskToRow(task))
      .onConflict((oc) => oc.constraint('tasks_execution_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted !== undefined) return taskFromRow(inserted);
    // Another call created this execution first: answer with the stored one.
    const stored = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('job_id', '=', task.jobId)
      .where('position', '=', task.position)
      .where('attempt', '=', task.attempt)
      .executeTakeFirstOrThrow();
    return taskFromRow(stored);
  }

  async getTask(id: string): Promise<Task | undefined> {
    const row = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
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
    const { nodeIds, dueBy, deadlineBy, delayedOnly } = query;
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
    const rows = await select.orderBy('created_at').orderBy('id').limit(query.limit).execute();
    return rows.map(taskFromRow);
  }

  async updateTask(id: string, change: TaskChange): Promise<Task | undefined> {
    const patch = taskPatchToRow(change.patch);
    const row = await this.db
      .updateTable('tasks')
      .set((eb) => (Object.keys(patch).length === 0 ? { id: eb.ref('id') } : patch))
      .where('id', '=', id)
      .where((eb) => eb('state', '=', eb.fn.any(eb.val([...change.from]))))
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : taskFromRow(row);
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

function page<T>(items: T[], query: PageQuery, totalItems: number): Page<T> {
  return {
    items,
    number: query.page,
    size: query.size,
    totalPages: Math.ceil(totalItems / query.size),
    totalItems,
  };
}
