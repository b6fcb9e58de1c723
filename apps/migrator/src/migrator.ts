import { migrate } from '@tork/datastore';
import type { Logger } from '@tork/domain';

export interface MigratorOptions {
  /** libpq key=value or a postgres:// URL, as the -postgres-dsn flag takes it. */
  readonly dsn: string;
  /** Migrate this schema instead of the connection's default one. */
  readonly schema?: string;
  readonly logger: Logger;
}

/**
 * Brings the PostgreSQL schema up to date and returns the migrations it applied, oldest first.
 * Safe to run again and from several processes at once (each Kubernetes Job retry, each replica):
 * a migration that is already applied, or being applied by another run, is not applied again.
 */
export async function runMigrations(options: MigratorOptions): Promise<string[]> {
  const { logger } = options;
  const startedAt = Date.now();
  logger.info({}, 'migrating the PostgreSQL schema');
  const applied = await migrate({
    dsn: options.dsn,
    logger,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  for (const migration of applied) logger.info({ migration }, `applied migration ${migration}`);
  logger.info(
    { applied: applied.length, ms: Date.now() - startedAt },
    applied.length === 0 ? 'the schema was already up to date' : `applied ${applied.length} migration(s)`,
  );
  return applied;
}
