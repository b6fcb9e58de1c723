import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A PostgreSQL database of its own for one scenario, dropped afterwards. */
export interface IsolatedDatabase {
  readonly dsn: string;
  remove(): Promise<void>;
}

async function onAdmin(adminDsn: string, statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminDsn });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/**
 * Creates `tork_bench_<random>` on the server of `adminDsn`, like libs/testing's isolatedServices
 * but without a RabbitMQ vhost: the peers need only PostgreSQL.
 */
export async function isolatedDatabase(adminDsn: string): Promise<IsolatedDatabase> {
  const name = `tork_bench_${randomBytes(5).toString('hex')}`;
  await onAdmin(adminDsn, `CREATE DATABASE ${name}`);
  const dsn = new URL(adminDsn);
  dsn.pathname = `/${name}`;
  return {
    dsn: dsn.toString(),
    remove: () => onAdmin(adminDsn, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
