import { afterEach, describe, expect, it } from 'vitest';
import { basic, bearer, HELLO_YAML, json, startTestApi, type TestApi } from '../api.fixture.js';
import type { AnonymousAccess } from './auth.plugin.js';

const ADMIN_KEY = 'a-long-admin-key-from-the-configuration';
const CHALLENGE = 'Bearer realm="tork", Basic realm="tork"';

let api: TestApi | undefined;

afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

async function start(staticKeys: string[] = [], anonymous: AnonymousAccess = 'loopback'): Promise<TestApi> {
  api = await startTestApi({ auth: { staticKeys, anonymous } });
  return api;
}

function submit(app: TestApi['app'], headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/jobs',
    payload: HELLO_YAML,
    headers: { 'content-type': 'text/yaml', ...headers },
  });
}

describe('authentication', () => {
  it('lets anyone in as an admin while no credential exists: the seed examples work unchanged', async () => {
    const { app } = await start();

    const submitted = await submit(app);
    expect(submitted.statusCode).toBe(200);
    const id = String(json(submitted.body)['id']);
    const job = json((await app.inject({ method: 'GET', url: `/jobs/${id}` })).body);
    expect(job['createdBy']).toEqual({ kind: 'anonymous', name: 'anonymous' });
    expect((await app.inject({ method: 'GET', url: '/api-keys' })).statusCode).toBe(200);
  });

  it('answers 401 with a JSON error and a challenge without a key once one is configured, 200 with it', async () => {
    const { app } = await start([ADMIN_KEY]);

    const refused = await submit(app);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(CHALLENGE);
    expect(json(refused.body)).toEqual({
      error: 'authentication required: send "Authorization: Bearer <API key>" or HTTP basic auth',
    });
    expect((await app.inject({ method: 'GET', url: '/jobs' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/nodes' })).statusCode).toBe(401);

    const accepted = await submit(app, bearer(ADMIN_KEY));
    expect(accepted.statusCode).toBe(200);
    const id = String(json(accepted.body)['id']);
    const job = await app.inject({ method: 'GET', url: `/jobs/${id}`, headers: bearer(ADMIN_KEY) });
    expect(json(job.body)['createdBy']).toEqual({ kind: 'key', name: 'static-key:1' });
  });

  it('answers the same 401 for a wrong key, a wrong scheme and a malformed header, naming no part', async () => {
    const { app } = await start([ADMIN_KEY]);

    for (const authorization of [
      `Bearer ${ADMIN_KEY}x`,
      `Bearer tork_${'a'.repeat(32)}_${'b'.repeat(43)}`,
      'Bearer',
      `Token ${ADMIN_KEY}`,
      `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}`,
      'Basic !!!',
    ]) {
      const response = await submit(app, { authorization });
      expect(response.statusCode, authorization).toBe(401);
      expect(json(response.body), authorization).toEqual({ error: 'invalid credentials' });
      expect(response.headers['www-authenticate']).toBe(CHALLENGE);
    }
  });

  it('keeps the health endpoints open, without looking at a credential', async () => {
    const { app } = await start([ADMIN_KEY]);

    for (const url of ['/health', '/health/ready', '/health/live']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      const wrong = await app.inject({ method: 'GET', url, headers: bearer('wrong') });
      expect(wrong.statusCode, url).toBe(200);
    }
  });

  it('protects the API documentation and unknown routes like every other endpoint', async () => {
    const { app } = await start([ADMIN_KEY]);

    for (const url of ['/openapi.json', '/docs', '/docs/static/index.html', '/nowhere', '/health/../jobs']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    const doc = await app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(ADMIN_KEY) });
    expect(doc.statusCode).toBe(200);
    const unknown = await app.inject({ method: 'GET', url: '/nowhere', headers: bearer(ADMIN_KEY) });
    expect(unknown.statusCode).toBe(404);
  });

  it('requires a credential as soon as a key is created through the API, with no key configured', async () => {
    const { app } = await start();

    const created = await app.inject({
      method: 'POST',
      url: '/api-keys',
      payload: { name: 'ci', role: 'admin' },
    });
    expect(created.statusCode).toBe(201);
    const key = String(json(created.body)['key']);

    expect((await submit(app)).statusCode).toBe(401);
    expect((await submit(app, bearer(key))).statusCode).toBe(200);
  });

  it('never lets an anonymous caller in where that is not allowed (a public address), even with no credential', async () => {
    const { app } = await start([], 'never');

    const response = await submit(app);
    expect(response.statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('on loopback, serves an anonymous caller only when the Host header names this machine (DNS rebinding)', async () => {
    const { app } = await start();

    for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'localhost'])
      expect((await submit(app, { host })).statusCode, host).toBe(200);
    const rebound = await submit(app, { host: 'evil.example:3000' });
    expect(rebound.statusCode).toBe(403);
    expect(json(rebound.body)).toEqual({
      error: 'without a credential only requests to localhost are served, not to "evil.example"',
    });
    expect(await api?.datastore.jobs.list({ page: 1, size: 10 })).toMatchObject({ totalItems: 4 });
    expect(
      (await app.inject({ method: 'GET', url: '/health', headers: { host: 'evil.example' } })).statusCode,
    ).toBe(200);
  });

  it('with -insecure, serves an anonymous caller whatever the Host header says', async () => {
    const { app } = await start([], 'any');
    expect((await submit(app, { host: 'tork.example.com' })).statusCode).toBe(200);
  });

  it('signs in a user with basic auth; a wrong password or an unknown user is 401', async () => {
    const { app } = await start([ADMIN_KEY]);
    const created = await app.inject({
      method: 'POST',
      url: '/users',
      headers: bearer(ADMIN_KEY),
      payload: { username: 'alice', password: 'correct horse', name: 'Alice' },
    });
    expect(created.statusCode).toBe(201);

    const submitted = await submit(app, basic('alice', 'correct horse'));
    expect(submitted.statusCode).toBe(200);
    const id = String(json(submitted.body)['id']);
    const job = await app.inject({
      method: 'GET',
      url: `/jobs/${id}`,
      headers: basic('alice', 'correct horse'),
    });
    expect(json(job.body)['createdBy']).toEqual({ kind: 'user', name: 'alice' });

    expect((await submit(app, basic('alice', 'wrong horse'))).statusCode).toBe(401);
    expect((await submit(app, basic('mallory', 'correct horse'))).statusCode).toBe(401);
  });
});
