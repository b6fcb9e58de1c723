import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@tork/domain';
import { describeWithService, postgresAvailable, postgresTestDsn } from '@tork/testing';
import { openDatabase } from './connection.js';

const dsn = postgresTestDsn();
const describePostgres = describeWithService(
  'PostgreSQL',
  await postgresAvailable(dsn),
  'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
);

let db: Kysely<unknown> | undefined;
afterEach(async () => {
  await db?.destroy();
  db = undefined;
});

async function setting(name: string): Promise<string | undefined> {
  const { rows } = await sql<{ value: string }>`select current_setting(${name}) as value`.execute(db!);
  return rows[0]?.value;
}

function withServerOptions(options: string): string {
  const url = new URL(dsn);
  url.searchParams.set('options', options);
  return url.toString();
}

describePostgres('PostgreSQL connection limits', () => {
  it('sets a 30 s statement timeout and a 1 min idle-in-transaction timeout by default', async () => {
    db = openDatabase({ dsn, poolSize: 1, logger: silentLogger });
    expect(await setting('statement_timeout')).toBe('30s');
    expect(await setting('idle_in_transaction_session_timeout')).toBe('1min');
  });

  it("keeps the DSN's own settings, and a statement past its timeout fails saying so", async () => {
    db = openDatabase({
      dsn: withServerOptions('-c statement_timeout=200 -c idle_in_transaction_session_timeout=5000'),
      poolSize: 1,
      logger: silentLogger,
    });
    expect(await setting('statement_timeout')).toBe('200ms');
    expect(await setting('idle_in_transaction_session_timeout')).toBe('5s');

    await expect(sql`select pg_sleep(2)`.execute(db)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      retryable: true,
      message: 'PostgreSQL: a statement ran past statement_timeout and was cancelled',
    });
    // The connection is fine afterwards.
    expect(await setting('statement_timeout')).toBe('200ms');
  });

  it('leaves statements unbounded for migrations (statementTimeoutMs 0)', async () => {
    db = openDatabase({ dsn, poolSize: 1, logger: silentLogger, statementTimeoutMs: 0 });
    expect(await setting('statement_timeout')).toBe('0');
  });
});

describe('connecting to a server that never answers', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(() => {
    for (const socket of sockets) socket.destroy();
    server?.close();
    server = undefined;
  });

  /** A port that accepts TCP connections and never says a word, as a stalled server would. */
  async function silentServer(): Promise<number> {
    server = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  it('gives up after 5 s by default, with an error that says so', async () => {
    const port = await silentServer();
    db = openDatabase({
      dsn: `host=127.0.0.1 port=${port} user=tork dbname=tork`,
      poolSize: 1,
      logger: silentLogger,
    });

    await expect(sql`select 1`.execute(db)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'PostgreSQL: no connection within 5s',
    });
  }, 15_000);

  it("takes the DSN's connect_timeout instead", async () => {
    const port = await silentServer();
    db = openDatabase({
      dsn: `host=127.0.0.1 port=${port} user=tork dbname=tork connect_timeout=1`,
      poolSize: 1,
      logger: silentLogger,
    });

    await expect(sql`select 1`.execute(db)).rejects.toMatchObject({
      message: 'PostgreSQL: no connection within 1s',
    });
  });
});
