import type { Logger } from 'pino';
import { runMigrations } from '@tork/migrator';
import type { TorkConfig } from '../config.js';

/** Applies the datastore's pending migrations, then the process exits. */
export async function runMigration(config: TorkConfig, logger: Logger): Promise<void> {
  await runMigrations({ dsn: config.postgresDsn, logger: logger.child({ app: 'migrator' }) });
}
