import {
  Kysely,
  PostgresDialect,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
import pg from 'pg';
import { TorkError, errorMessage, formatDuration, type Logger } from '@tork/domain';
import { parseDsn } from './dsn.js';

export interface ConnectionOptions {
  readonly dsn: string;
  readonly poolSize: number;
  /** Every connection works in this schema only (its search_path), e.g. to isolate a test. */
  readonly schema?: string;
  readonly logger: Logger;
  /** statement_timeout unless the DSN sets one (default 30 s); 0: the server's own (migrations rewrite whole tables). */
  readonly statementTimeoutMs?: number;
  /** Told each statement's round trip in seconds (metrics). */
  readonly onStatement?: (seconds: number) => void;
}

/** How long to wait for a connection, unless the DSN's connect_timeout says otherwise. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** The server cancels a statement running longer, unless the DSN sets statement_timeout. */
export const STATEMENT_TIMEOUT_MS = 30_000;
/** The server ends a session left idle inside a transaction this long, unless the DSN sets its own. */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

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
  // Settings the DSN gives the server itself (`options=-c statement_timeout=5s`) win over ours.
  const serverOptions = config.options ?? '';
  const limits: pg.PoolConfig = {
    connectionTimeoutMillis: config.connectionTimeoutMillis ?? CONNECT_TIMEOUT_MS,
    ...(/\bstatement_timeout\b/.test(serverOptions)
      ? {}
      : { statement_timeout: options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS }),
    ...(/\bidle_in_transaction_session_timeout\b/.test(serverOptions)
      ? {}
      : { idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS }),
  };
  if (options.schema !== undefined) {
    const searchPath = `-c search_path=${checkSchemaName(options.schema)}`;
    config.options = config.options === undefined ? searchPath : `${config.options} ${searchPath}`;
  }
  const pool = new pg.Pool({ ...config, ...limits, max: options.poolSize });
  // An idle connection that breaks (a server restart) must not crash the process; the pool replaces it.
  pool.on('error', (error) => {
    options.logger.warn({ error: errorMessage(error) }, 'idle PostgreSQL connection failed');
  });
  const connectMs = limits.connectionTimeoutMillis ?? 0;
  const onStatement = options.onStatement ?? (() => undefined);
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool: namingTimeouts(pool, connectMs, onStatement) }),
  });
}

/** The pool as kysely sees it, its timeouts turned into errors that say which limit was hit. */
function namingTimeouts(
  pool: pg.Pool,
  connectMs: number,
  onStatement: (seconds: number) => void,
): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect().catch((error: unknown) => {
        throw isConnectTimeout(error)
          ? new TorkError('UNAVAILABLE', `PostgreSQL: no connection within ${formatDuration(connectMs)}`, {
              cause: error,
              retryable: true,
            })
          : error;
      });
      let adapted = wrapped.get(client);
      if (adapted === undefined) {
        adapted = new TimeoutNamingClient(client, onStatement);
        wrapped.set(client, adapted);
      }
      return adapted;
    },
    end: () => pool.end(),
  };
}

/** A pooled client whose statement and idle-transaction timeouts reject as TorkErrors naming the limit. */
class TimeoutNamingClient implements PostgresPoolClient {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly onStatement: (seconds: number) => void,
  ) {}

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters: readonly unknown[] = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // kysely asks for a cursor only to stream, which the datastore never does.
    if (typeof sqlOrCursor !== 'string') throw new TypeError('streaming queries are not supported');
    const sentAt = performance.now();
    return this.client.query(sqlOrCursor, [...parameters]).then(
      (result) => {
        this.onStatement((performance.now() - sentAt) / 1000);
        return result as unknown as PostgresQueryResult<R>;
      },
      (error: unknown) => {
        throw asTimeoutError(error) ?? error;
      },
    );
  }

  release(destroy?: boolean): void {
    this.client.release(destroy);
  }
}

/** pg's own words when a pool or a new client gives up connecting. */
function isConnectTimeout(error: unknown): boolean {
  const message = errorMessage(error);
  return /timeout exceeded when trying to connect|connection timeout/i.test(message);
}

/** The server's cancellation of a statement, or of a session idle in a transaction, said plainly. */
function asTimeoutError(error: unknown): TorkError | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const message = errorMessage(error);
  if (code === '57014' && /statement timeout/.test(message))
    return new TorkError(
      'UNAVAILABLE',
      'PostgreSQL: a statement ran past statement_timeout and was cancelled',
      {
        cause: error,
        retryable: true,
      },
    );
  if (code === '25P03')
    return new TorkError(
      'UNAVAILABLE',
      'PostgreSQL: a transaction stayed idle past idle_in_transaction_session_timeout and was ended',
      { cause: error, retryable: true },
    );
  return undefined;
}
