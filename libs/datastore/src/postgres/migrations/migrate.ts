import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { TorkError, errorMessage, isTorkError, silentLogger, type Logger } from '@tork/domain';
import { openDatabase } from '../connection.js';
import * as initial from './0001-initial.js';
import * as taskPublished from './0002-task-published.js';
import * as credentials from './0003-credentials.js';
import * as scheduledPublishedIndex from './0004-scheduled-published-index.js';
import * as taskTree from './0005-task-tree.js';
import * as progressHandBacks from './0006-progress-hand-backs.js';
import * as nodeCpuVersion from './0007-node-cpu-version.js';
import * as searchRetention from './0008-search-retention.js';
import * as scheduledJobs from './0009-scheduled-jobs.js';
import * as webhooks from './0010-webhooks.js';
import * as webhookProgress from './0011-webhook-progress.js';
import * as scheduleNextFire from './0012-schedule-next-fire.js';

/** Every migration by name; names sort in the order they apply. Append, never edit a released one. */
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-task-published': taskPublished,
  '0003-credentials': credentials,
  '0004-scheduled-published-index': scheduledPublishedIndex,
  '0005-task-tree': taskTree,
  '0006-progress-hand-backs': progressHandBacks,
  '0007-node-cpu-version': nodeCpuVersion,
  '0008-search-retention': searchRetention,
  '0009-scheduled-jobs': scheduledJobs,
  '0010-webhooks': webhooks,
  '0011-webhook-progress': webhookProgress,
  '0012-schedule-next-fire': scheduleNextFire,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

export interface MigrateOptions {
  readonly dsn: string;
  /** Migrate this schema (created when missing) instead of the connection's default one. */
  readonly schema?: string;
  readonly logger?: Logger;
}

/**
 * Applies the pending migrations and returns their names, oldest first (none when the schema is
 * current). All pending migrations apply in one transaction under kysely's migration lock (a
 * PostgreSQL advisory lock), so concurrent runs from several processes apply each migration once.
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const logger = options.logger ?? silentLogger;
  const db = openDatabase<unknown>({
    dsn: options.dsn,
    poolSize: 2,
    logger,
    // A migration may rewrite or index a whole table: no statement timeout but the server's own.
    statementTimeoutMs: 0,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  try {
    const schema = options.schema ?? (await currentSchema(db));
    logger.debug({ schema }, 'migrating the PostgreSQL schema');
    // Name the schema of kysely's own tables: unnamed, kysely would take them for present when
    // another schema of the database has them.
    const migrator = new Migrator({ db, provider, migrationTableSchema: schema });
    const { error, results = [] } = await migrateToLatest(migrator, schema);
    if (error !== undefined) {
      const failed = results.find((result) => result.status === 'Error')?.migrationName;
      throw failure(failed === undefined ? 'migrating PostgreSQL' : `migration ${failed}`, error);
    }
    const applied = results
      .filter((result) => result.status === 'Success')
      .map((result) => result.migrationName);
    for (const name of applied) logger.debug({ schema, migration: name }, 'migration applied');
    return applied;
  } catch (error) {
    throw isTorkError(error) ? error : failure('migrating PostgreSQL', error);
  } finally {
    await db.destroy();
  }
}

/** Attempts when another schema vanishes under kysely's look at the database's tables. */
const DROPPED_SCHEMA_ATTEMPTS = 5;

/**
 * kysely looks for its tables among every table of the database; a schema that another process drops
 * during that look fails it with `schema "..." does not exist` (invalid_schema_name) although ours is
 * fine. That answer names someone else's schema: look again.
 */
async function migrateToLatest(
  migrator: Migrator,
  schema: string,
): Promise<Awaited<ReturnType<Migrator['migrateToLatest']>>> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await migrator.migrateToLatest();
    const vanished = otherSchemaVanished(outcome.error, schema);
    if (!vanished || attempt >= DROPPED_SCHEMA_ATTEMPTS) return outcome;
  }
}

function otherSchemaVanished(error: unknown, schema: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '3F000' && typeof message === 'string' && !message.includes(`"${schema}"`);
}

async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema === undefined || schema === null)
    throw new TorkError('INVALID_INPUT', 'the PostgreSQL search_path names no existing schema to migrate');
  return schema;
}

function failure(what: string, error: unknown): TorkError {
  return new TorkError('INTERNAL', `${what} failed: ${errorMessage(error)}`, { cause: error });
}
