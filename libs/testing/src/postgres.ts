import { randomUUID } from 'node:crypto';
import pg from 'pg';

/*
 * Throwaway schemas and databases, so that every PostgreSQL test has its own and leaves nothing
 * behind. The DSNs are postgres:// URLs (see postgresTestDsn).
 */

/** A schema or database name no other test, run or process uses: lower case, quoting never needed. */
export function uniquePostgresName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

/** Drops a schema and everything in it; a missing one is fine. */
export async function dropPostgresSchema(dsn: string, schema: string): Promise<void> {
  await withClient(dsn, (client) => client.query(`drop schema if exists ${identifier(schema)} cascade`));
}

/** Creates an empty database on the server of `dsn`; returns its name and a DSN that connects to it. */
export async function createPostgresDatabase(
  dsn: string,
  prefix = 'tork_test',
): Promise<{ name: string; dsn: string }> {
  const name = uniquePostgresName(prefix);
  await withClient(dsn, (client) => client.query(`create database ${identifier(name)}`));
  const url = new URL(dsn);
  url.pathname = `/${name}`;
  return { name, dsn: url.toString() };
}

/** Drops a database, disconnecting whoever still uses it; a missing one is fine. */
export async function dropPostgresDatabase(dsn: string, name: string): Promise<void> {
  await withClient(dsn, (client) => client.query(`drop database if exists ${identifier(name)} with (force)`));
}

async function withClient<T>(dsn: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  if (!/^postgres(ql)?:\/\//.test(dsn)) throw new Error('test helpers take a postgres:// URL as the DSN');
  const client = new pg.Client({ connectionString: dsn });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain PostgreSQL name: ${name}`);
  return name;
}
