import { sql, type Kysely } from 'kysely';
import { silentLogger, type Datastore, type Logger, type Metrics } from '@tork/domain';
import { openDatabase } from './connection.js';
import { PgJobStore } from './job-store.js';
import { PostgresCredentialStore } from './postgres-credential-store.js';
import { PgJobEventStore, PgLogStore, PgNodeStore } from './log-store.js';
import type { Database } from './rows/database.js';
import { PgScheduleStore } from './schedule-store.js';
import { PgTaskStore } from './task-store.js';
import { PgWebhookDeliveryStore } from './webhook-delivery-store.js';

export interface PostgresDatastoreOptions {
  /** libpq key=value (`host=localhost user=tork dbname=tork sslmode=disable`) or a postgres:// URL. */
  readonly dsn: string;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  /** Work in this schema rather than the connection's default one, e.g. one per test. */
  readonly schema?: string;
  readonly logger?: Logger;
  /** Where statement latency is reported; none by default. */
  readonly metrics?: Pick<Metrics, 'observeDatastoreStatement'>;
}

/**
 * The datastore in PostgreSQL (kysely over a pg pool), for services that run as many replicas.
 * Its tables come from `migrate()`. Every change is a compare-and-set
 * (`UPDATE ... WHERE id AND state = ANY(from) RETURNING *`), never a read-modify-write, and records
 * its event in the same statement.
 *
 * The calls made per job and per message (insert a job, read a job or a task, apply a change,
 * create a task, settle a task) are batched by group commit (Batcher): concurrent calls of one shape
 * share one statement, each row still its own compare-and-set. An idle store sends each call at once.
 */
export class PostgresDatastore implements Datastore {
  private readonly db: Kysely<Database>;
  private closing: Promise<void> | undefined;
  readonly jobs: PgJobStore;
  readonly tasks: PgTaskStore;
  readonly logs: PgLogStore;
  readonly nodes: PgNodeStore;
  readonly events: PgJobEventStore;
  readonly credentials: PostgresCredentialStore;
  readonly webhooks: PgWebhookDeliveryStore;
  readonly schedules: PgScheduleStore;

  constructor(options: PostgresDatastoreOptions) {
    this.db = openDatabase<Database>({
      dsn: options.dsn,
      poolSize: options.poolSize ?? 10,
      logger: options.logger ?? silentLogger,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.metrics === undefined
        ? {}
        : { onStatement: (seconds: number) => options.metrics?.observeDatastoreStatement(seconds) }),
    });
    this.jobs = new PgJobStore(this.db);
    this.tasks = new PgTaskStore(this.db);
    this.logs = new PgLogStore(this.db);
    this.nodes = new PgNodeStore(this.db);
    this.events = new PgJobEventStore(this.db);
    this.credentials = new PostgresCredentialStore(this.db);
    this.webhooks = new PgWebhookDeliveryStore(this.db);
    this.schedules = new PgScheduleStore(this.db);
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
    this.closing ??= this.tasks.drain().finally(() => this.db.destroy());
    return this.closing;
  }
}
