import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, bearer, json, startTestApi, type TestApi } from '../api.fixture.js';

const ADMIN_KEY = 'configured-admin-key-0123456789';
const admin = bearer(ADMIN_KEY);

let api: TestApi;

beforeEach(async () => {
  api = await startTestApi({ auth: { staticKeys: [ADMIN_KEY] } });
});

afterEach(async () => {
  await api.app.close();
});

async function createKey(payload: object, headers: Record<string, string> = admin) {
  return api.app.inject({ method: 'POST', url: '/api-keys', payload, headers });
}

describe('API keys', () => {
  it('creates a key shown once, which then works as a bearer token with its role', async () => {
    const response = await createKey({ name: 'ci-bot' });

    expect(response.statusCode).toBe(201);
    const created = json(response.body);
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'id', 'key', 'name', 'role']);
    expect(created).toMatchObject({ name: 'ci-bot', role: 'user' });
    expect(created['key']).toMatch(new RegExp(`^tork_${String(created['id'])}_[A-Za-z0-9_-]{43}$`));

    const key = String(created['key']);
    const listed = await api.app.inject({ method: 'GET', url: '/jobs', headers: bearer(key) });
    expect(listed.statusCode).toBe(200);
    // A user's key is not an admin's.
    const forbidden = await api.app.inject({ method: 'GET', url: '/api-keys', headers: bearer(key) });
    expect(forbidden.statusCode).toBe(403);
    expect(json(forbidden.body)).toEqual({ error: 'only an admin may do this' });
  });

  it('stores only a salted hash of the key, never the key or its secret', async () => {
    const created = json((await createKey({ name: 'ci-bot', role: 'admin' })).body);
    const key = String(created['key']);
    const secret = key.split('_').slice(2).join('_');

    const stored = await api.datastore.credentials.getApiKey(String(created['id']));
    expect(stored).toMatchObject({ name: 'ci-bot', role: 'admin' });
    expect(stored?.keyHash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(stored)).not.toContain(secret);

    // Two keys never share a hash: each has its own salt.
    const other = json((await createKey({ name: 'other' })).body);
    const otherStored = await api.datastore.credentials.getApiKey(String(other['id']));
    expect(otherStored?.keyHash.split('$')[4]).not.toBe(stored?.keyHash.split('$')[4]);
  });

  it('lists keys with their names and roles, never the key', async () => {
    await createKey({ name: 'first', role: 'admin' });
    await createKey({ name: 'second' });

    const response = await api.app.inject({ method: 'GET', url: '/api-keys', headers: admin });
    expect(response.statusCode).toBe(200);
    const keys = JSON.parse(response.body) as Record<string, unknown>[];
    expect(keys.map((key) => [key['name'], key['role']])).toEqual([
      ['first', 'admin'],
      ['second', 'user'],
    ]);
    for (const key of keys) expect(Object.keys(key).sort()).toEqual(['createdAt', 'id', 'name', 'role']);
  });

  it('revokes a key: it answers 401 at once, and a second revocation 404', async () => {
    const created = json((await createKey({ name: 'ci-bot' })).body);
    const key = bearer(String(created['key']));
    expect((await api.app.inject({ method: 'GET', url: '/jobs', headers: key })).statusCode).toBe(200);

    const revoked = await api.app.inject({
      method: 'DELETE',
      url: `/api-keys/${String(created['id'])}`,
      headers: admin,
    });
    expect(revoked.statusCode).toBe(204);
    expect(revoked.body).toBe('');

    expect((await api.app.inject({ method: 'GET', url: '/jobs', headers: key })).statusCode).toBe(401);
    const again = await api.app.inject({
      method: 'DELETE',
      url: `/api-keys/${String(created['id'])}`,
      headers: admin,
    });
    expect(again.statusCode).toBe(404);
    const unknown = await api.app.inject({ method: 'DELETE', url: '/api-keys/not-an-id', headers: admin });
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses a name already taken by a key or a user (409)', async () => {
    expect((await createKey({ name: 'ci-bot' })).statusCode).toBe(201);
    const duplicate = await createKey({ name: 'ci-bot', role: 'admin' });
    expect(duplicate.statusCode).toBe(409);
    expect(json(duplicate.body)['error']).toContain('"ci-bot"');

    await api.app.inject({
      method: 'POST',
      url: '/users',
      headers: admin,
      payload: { username: 'alice', password: 'long enough' },
    });
    expect((await createKey({ name: 'alice' })).statusCode).toBe(409);
  });

  it('refuses a bad name, an unknown role and unknown fields (400), naming each', async () => {
    const response = await createKey({ name: 'has space', role: 'boss', extra: 1 });
    expect(response.statusCode).toBe(400);
    const paths = (json(response.body)['problems'] as { path: string }[])
      .map((problem) => problem.path)
      .sort();
    expect(paths).toEqual(['body', 'name', 'role']);
    expect((await createKey({})).statusCode).toBe(400);
  });

  it('is for admins only: a user gets 403 on every key route', async () => {
    await api.app.inject({
      method: 'POST',
      url: '/users',
      headers: admin,
      payload: { username: 'bob', password: 'bob-password' },
    });
    const bob = basic('bob', 'bob-password');

    expect((await createKey({ name: 'mine' }, bob)).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: '/api-keys', headers: bob })).statusCode).toBe(403);
    const created = json((await createKey({ name: 'target' })).body);
    const revoke = await api.app.inject({
      method: 'DELETE',
      url: `/api-keys/${String(created['id'])}`,
      headers: bob,
    });
    expect(revoke.statusCode).toBe(403);
    expect(await api.datastore.credentials.getApiKey(String(created['id']))).toBeDefined();
  });
});
