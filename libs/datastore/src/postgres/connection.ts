import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { TorkError, errorMessage, type Logger } from '@tork/domain';
import { parseDsn } from './dsn.js';

export interface ConnectionOptions {
  readonly dsn: string;
  readonly poolSize: number;
  /** Every connection works in this schema only (its search_path), e.g. to isolate a test. */
  readonly schema?: string;
  readonly logger: Logger;
}

/** A schema name that needs no quoting anywhere: in search_path, in SQL and in libpq's options. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new TorkError(
      'INVALID_INPUT',
      `invalid postgres schema "${schema}": use lower-case letters, digits and _, at most 63`,
    );
  return schema;
}

/** A kysely instance over its own pg pool; destroying it ends the pool. */
export function openDatabase<DB>(options: ConnectionOptions): Kysely<DB> {
  const config = parseDsn(options.dsn);
  if (options.schema !== undefined) {
    const searchPath = `-c search_path=${checkSchemaName(options.schema)}`;
    config.options = config.options === undefined ? searchPath : `${config.options} ${searchPath}`;
  }
  const pool = new pg.Pool({ ...config, max: options.poolSize });
  // An idle connection that breaks (a server restart) must not crash the process; the pool replaces it.
  pool.on('error', (error) => {
    options.logger.warn({ error: errorMessage(error) }, 'idle PostgreSQL connection failed');
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
