import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { InMemoryBroker } from '@tork/broker';
import { migrate, PostgresDatastore } from '@tork/datastore';
import {
  describeWithService,
  dropPostgresSchema,
  postgresAvailable,
  postgresTestDsn,
  uniquePostgresName,
} from '@tork/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api.js';
import { basic, bearer, HELLO_YAML, json } from '../api.fixture.js';

const dsn = postgresTestDsn();

/** Every row of a table, as psql would show it. */
async function rows(schema: string, table: string, column = '*'): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(`select ${column} from ${schema}.${table}`)).rows;
  } finally {
    await client.end();
  }
}

describeWithService(
  'PostgreSQL',
  await postgresAvailable(dsn),
  'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
)('credentials in PostgreSQL, through the API', () => {
  let schema: string;
  let datastore: PostgresDatastore;
  let app: FastifyInstance;

  beforeEach(async () => {
    schema = uniquePostgresName('auth');
    await migrate({ dsn, schema });
    datastore = new PostgresDatastore({ dsn, schema, poolSize: 2 });
    app = await buildApi({ datastore, broker: new InMemoryBroker() });
  });

  afterEach(async () => {
    await app.close();
    await datastore.close();
    await dropPostgresSchema(dsn, schema);
  });

  it('keeps keys and passwords hashed in their rows, and revoking a key makes it 401', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api-keys',
      payload: { name: 'ops', role: 'admin' },
    });
    expect(created.statusCode).toBe(201);
    const { id, key } = json(created.body) as { id: string; key: string };
    const user = await app.inject({
      method: 'POST',
      url: '/users',
      headers: bearer(key),
      payload: { username: 'alice', password: 'alice-password' },
    });
    expect(user.statusCode).toBe(201);

    const stored = JSON.stringify([...(await rows(schema, 'api_keys')), ...(await rows(schema, 'users'))]);
    expect(stored).toContain('"name":"ops"');
    expect(stored).toContain('"username":"alice"');
    expect(stored).not.toContain(key.slice('tork_'.length + id.length + 1));
    expect(stored).not.toContain('alice-password');

    const submitted = await app.inject({
      method: 'POST',
      url: '/jobs',
      headers: { ...basic('alice', 'alice-password'), 'content-type': 'text/yaml' },
      payload: HELLO_YAML,
    });
    expect(submitted.statusCode).toBe(200);
    const [job] = await rows(schema, 'jobs', 'created_by');
    expect(job?.['created_by']).toEqual({ kind: 'user', name: 'alice' });

    expect(
      (await app.inject({ method: 'DELETE', url: `/api-keys/${id}`, headers: bearer(key) })).statusCode,
    ).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/jobs', headers: bearer(key) })).statusCode).toBe(401);
    expect(await rows(schema, 'api_keys')).toEqual([]);
    // The user is still a credential: anonymous callers stay out.
    expect((await app.inject({ method: 'GET', url: '/jobs' })).statusCode).toBe(401);
  });
});
