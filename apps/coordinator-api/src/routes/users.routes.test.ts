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

function createUser(payload: object, headers: Record<string, string> = admin) {
  return api.app.inject({ method: 'POST', url: '/users', payload, headers });
}

describe('POST /users', () => {
  it('creates a user who signs in with basic auth; the answer and the store hold no password', async () => {
    const response = await createUser({
      username: 'alice',
      password: 'correct horse',
      name: 'Alice',
      role: 'admin',
    });

    expect(response.statusCode).toBe(201);
    const body = json(response.body);
    expect(body).toMatchObject({ username: 'alice', name: 'Alice', role: 'admin' });
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'name', 'role', 'username']);
    const stored = await api.datastore.credentials.getUser('alice');
    expect(stored?.passwordHash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(stored)).not.toContain('correct horse');

    // An admin user may create users in turn.
    const byAlice = await createUser(
      { username: 'bob', password: 'bob-password' },
      basic('alice', 'correct horse'),
    );
    expect(byAlice.statusCode).toBe(201);
    expect(json(byAlice.body)).toMatchObject({ username: 'bob', role: 'user' });
  });

  it('refuses a password shorter than 8 characters and a missing one (400)', async () => {
    const short = await createUser({ username: 'alice', password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(json(short.body)['problems']).toEqual([
      { path: 'password', message: 'must NOT have fewer than 8 characters' },
    ]);
    expect((await createUser({ username: 'alice' })).statusCode).toBe(400);
    expect(await api.datastore.credentials.getUser('alice')).toBeUndefined();
  });

  it('refuses a username taken by a user or an API key (409)', async () => {
    expect((await createUser({ username: 'alice', password: 'password-1' })).statusCode).toBe(201);
    expect((await createUser({ username: 'alice', password: 'password-2' })).statusCode).toBe(409);
    await api.app.inject({ method: 'POST', url: '/api-keys', headers: admin, payload: { name: 'ci-bot' } });
    expect((await createUser({ username: 'ci-bot', password: 'password-3' })).statusCode).toBe(409);

    // The first password still signs alice in; the refused one does not.
    expect(
      (await api.app.inject({ method: 'GET', url: '/jobs', headers: basic('alice', 'password-1') }))
        .statusCode,
    ).toBe(200);
    expect(
      (await api.app.inject({ method: 'GET', url: '/jobs', headers: basic('alice', 'password-2') }))
        .statusCode,
    ).toBe(401);
  });

  it('is for admins only: a user gets 403', async () => {
    await createUser({ username: 'bob', password: 'bob-password' });

    const response = await createUser(
      { username: 'carol', password: 'carol-password' },
      basic('bob', 'bob-password'),
    );
    expect(response.statusCode).toBe(403);
    expect(await api.datastore.credentials.getUser('carol')).toBeUndefined();
  });
});
