import { randomBytes } from 'node:crypto';
import { Keyring, parseEncryptionKey, QUEUE, REDACTED, type Message } from '@tork/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { basic, bearer, collect, json, startTestApi, type TestApi } from '../api.fixture.js';

let api: TestApi | undefined;

afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

const SPEC = {
  name: 'deploy',
  tags: ['prod'],
  inputs: { region: 'eu' },
  secrets: { token: 'tok-secret-123' },
  tasks: [
    { name: 'push', image: 'busybox', run: 'echo push', env: { API_PASSWORD: 'hunter2', MODE: 'fast' } },
  ],
};

async function submit(app: TestApi, headers: Record<string, string> = {}): Promise<string> {
  const response = await app.app.inject({
    method: 'POST',
    url: '/jobs',
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify(SPEC),
  });
  expect(response.statusCode, response.body).toBe(200);
  return String(json(response.body)['id']);
}

const duplicate = (app: TestApi, id: string, headers: Record<string, string> = {}) =>
  app.app.inject({ method: 'POST', url: `/jobs/${id}/duplicate`, headers });

describe('POST /jobs/{id}/duplicate', () => {
  it('submits the job again as a new PENDING job, answered like POST /jobs and queued', async () => {
    api = await startTestApi();
    const queued: Message[] = await collect(api.broker, QUEUE.jobs);
    const id = await submit(api);

    const response = await duplicate(api, id);

    expect(response.statusCode, response.body).toBe(200);
    const body = json(response.body);
    expect(body['id']).not.toBe(id);
    expect(body).toMatchObject({
      name: 'deploy',
      state: 'PENDING',
      tasks: [{ name: 'push', env: { API_PASSWORD: REDACTED, MODE: 'fast' } }],
    });
    await expect
      .poll(() => queued.map((message) => (message.type === 'job.submitted' ? message.jobId : '')))
      .toEqual([id, body['id']]);
    const copy = await api.datastore.jobs.get(String(body['id']));
    expect(copy).toMatchObject({
      inputs: { region: 'eu' },
      tags: ['prod'],
      secrets: { token: 'tok-secret-123' },
    });
    expect(copy?.tasks[0]?.env?.['API_PASSWORD']).toBe('hunter2');
  });

  it('keeps the original secret values when they are encrypted at rest (encrypted again for the copy)', async () => {
    const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);
    api = await startTestApi({ keyring });
    const id = await submit(api);

    const response = await duplicate(api, id);

    expect(response.statusCode, response.body).toBe(200);
    const copy = await api.datastore.jobs.get(String(json(response.body)['id']));
    const password = copy?.tasks[0]?.env?.['API_PASSWORD'] ?? '';
    expect(password).toMatch(/^enc:v1:k1:/);
    expect(keyring.decrypt(password)).toBe('hunter2');
    expect(keyring.decrypt(copy?.secrets?.['token'] ?? '')).toBe('tok-secret-123');
  });

  it('answers 404 for an unknown job', async () => {
    api = await startTestApi();

    const response = await duplicate(api, 'ffffffffffffffffffffffffffffffff');

    expect(response.statusCode).toBe(404);
    expect(json(response.body)).toEqual({ error: 'job ffffffffffffffffffffffffffffffff not found' });
  });

  it('needs a credential as a submission does, and answers 404 for a job the caller may not see', async () => {
    const adminKey = 'configured-admin-key-0123456789';
    api = await startTestApi({ auth: { staticKeys: [adminKey] } });
    for (const username of ['alice', 'bob']) {
      const created = await api.app.inject({
        method: 'POST',
        url: '/users',
        headers: bearer(adminKey),
        payload: { username, password: `${username}-password` },
      });
      expect(created.statusCode).toBe(201);
    }
    const response = await api.app.inject({
      method: 'POST',
      url: '/jobs',
      headers: { ...basic('alice', 'alice-password'), 'content-type': 'application/json' },
      payload: JSON.stringify({ ...SPEC, permissions: [{ role: 'admin' }] }),
    });
    const id = String(json(response.body)['id']);

    expect((await duplicate(api, id)).statusCode).toBe(401);
    expect((await duplicate(api, id, basic('bob', 'bob-password'))).statusCode).toBe(404);
    const byAlice = await duplicate(api, id, basic('alice', 'alice-password'));
    expect(byAlice.statusCode).toBe(200);
    const copy = await api.datastore.jobs.get(String(json(byAlice.body)['id']));
    expect(copy?.createdBy).toEqual({ kind: 'user', name: 'alice' });
  });
});
