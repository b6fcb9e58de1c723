import type { Logger } from 'pino';
import type { TorkConfig } from '../config.js';

/** Applies the datastore's pending migrations, then the process exits. */
export async function runMigration(config: TorkConfig, logger: Logger): Promise<void> {
  const { runMigrations } = await import('@tork/migrator');
  await runMigrations({ dsn: config.postgresDsn, logger: logger.child({ app: 'migrator' }) });
}
