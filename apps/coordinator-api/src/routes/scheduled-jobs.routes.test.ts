import { randomBytes } from 'node:crypto';
import { jobOfTick, Keyring, parseEncryptionKey, REDACTED } from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, startTestApi, type TestApi } from '../api.fixture.js';

let api: TestApi;

beforeEach(async () => {
  api = await startTestApi();
});

afterEach(async () => {
  await api.app.close();
});

const NIGHTLY_YAML = `name: nightly backup
description: copies the database
tags: [prod]
schedule:
  cron: "0 3 * * *"
  timezone: Europe/Paris
inputs:
  TARGET: s3://backups
secrets:
  TOKEN: s3cr3t
tasks:
  - name: back up
    image: busybox
    run: echo backing up
    env:
      API_PASSWORD: hunter2
`;

const create = (body: string, contentType = 'text/yaml') =>
  api.app.inject({
    method: 'POST',
    url: '/scheduled-jobs',
    payload: body,
    headers: { 'content-type': contentType },
  });
const get = (url: string) => api.app.inject({ method: 'GET', url });
const put = (url: string) => api.app.inject({ method: 'PUT', url });

async function created(body = NIGHTLY_YAML): Promise<Record<string, unknown>> {
  const response = await create(body);
  expect(response.statusCode).toBe(200);
  return json(response.body);
}

describe('POST /scheduled-jobs', () => {
  it("stores a YAML job spec with its schedule, ACTIVE, and shows Tork's shape with the next five fire times", async () => {
    const body = await created();

    expect(body).toMatchObject({
      name: 'nightly backup',
      description: 'copies the database',
      tags: ['prod'],
      state: 'ACTIVE',
      cron: '0 3 * * *',
      schedule: { cron: '0 3 * * *', timezone: 'Europe/Paris' },
      inputs: { TARGET: 's3://backups' },
      secrets: { TOKEN: REDACTED },
      tasks: [{ name: 'back up', image: 'busybox', env: { API_PASSWORD: REDACTED } }],
      createdBy: { kind: 'anonymous', name: 'anonymous' },
    });
    expect(body['id']).toMatch(/^[0-9a-f]{32}$/);
    const next = body['nextRunAt'] as string[];
    expect(next).toHaveLength(5);
    expect([...next].sort()).toEqual(next);
    expect(Date.parse(next[0] ?? '')).toBeGreaterThan(Date.now());
    // 03:00 in Paris is 01:00 or 02:00 UTC, by the season.
    for (const at of next) expect(at).toMatch(/T0[12]:00:00\.000Z$/);
    expect(await api.datastore.schedules.get(String(body['id']))).toMatchObject({ state: 'ACTIVE' });
  });

  it('accepts JSON and a 6-field cron (seconds first), in UTC without a time zone', async () => {
    const response = await create(
      JSON.stringify({
        name: 'tick',
        schedule: { cron: '*/10 * * * * *' },
        tasks: [{ name: 'a', image: 'busybox' }],
      }),
      'application/json',
    );

    expect(response.statusCode).toBe(200);
    const next = json(response.body)['nextRunAt'] as string[];
    for (const at of next) expect(new Date(at).getUTCSeconds() % 10).toBe(0);
    expect(Date.parse(next[1] ?? '') - Date.parse(next[0] ?? '')).toBe(10_000);
  });

  it('refuses an invalid cron, time zone, `wait` and task with 400, naming every field', async () => {
    const response = await create(
      JSON.stringify({
        schedule: { cron: '61 * * * *', timezone: 'Mars/Olympus' },
        wait: { timeout: '1m' },
        tasks: [{ name: 'no image' }],
      }),
      'application/json',
    );

    expect(response.statusCode).toBe(400);
    const problems = json(response.body)['problems'] as { path: string; message: string }[];
    expect(problems.map((problem) => problem.path)).toEqual(
      expect.arrayContaining(['schedule.cron', 'schedule.timezone', 'wait', 'tasks[0].image']),
    );
    expect(problems.find((problem) => problem.path === 'schedule.cron')?.message).toMatch(/minute/);
    expect((await api.datastore.schedules.list({ page: 1, size: 10 })).totalItems).toBe(0);
  });

  it('refuses a job spec without a schedule, and an empty body', async () => {
    const missing = await create('name: x\ntasks:\n  - name: a\n    image: busybox\n');
    expect(missing.statusCode).toBe(400);
    const problems = json(missing.body)['problems'] as { path: string; message: string }[];
    expect(problems.map((problem) => problem.path)).toEqual(['schedule']);
    expect(problems[0]?.message).toMatch(/required/);
    expect((await create('', 'application/json')).statusCode).toBe(400);
  });

  it('encrypts secrets before they are stored when the engine has a key', async () => {
    await api.app.close();
    const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);
    api = await startTestApi({ keyring });

    const body = await created();

    const stored = await api.datastore.schedules.get(String(body['id']));
    expect(keyring.decrypt(stored?.spec.secrets?.['TOKEN'] ?? '')).toBe('s3cr3t');
    expect(keyring.decrypt(stored?.spec.tasks[0]?.env?.['API_PASSWORD'] ?? '')).toBe('hunter2');
    expect(JSON.stringify(body)).not.toContain('enc:v1:');
  });
});

describe('GET /scheduled-jobs', () => {
  it('lists pages newest first, as Tork does', async () => {
    const first = await created();
    const second = await created(NIGHTLY_YAML.replace('nightly backup', 'second'));

    const response = await get('/scheduled-jobs?page=1&size=1');

    expect(response.statusCode).toBe(200);
    const body = json(response.body);
    expect(body).toMatchObject({ number: 1, size: 1, totalPages: 2, totalItems: 2 });
    expect((body['items'] as { id: string }[]).map((item) => item.id)).toEqual([second['id']]);
    const page2 = json((await get('/scheduled-jobs?page=2&size=1')).body);
    expect((page2['items'] as { id: string }[]).map((item) => item.id)).toEqual([first['id']]);
  });

  it('answers 404 for an unknown id, on every route', async () => {
    const id = 'f'.repeat(32);
    expect((await get(`/scheduled-jobs/${id}`)).statusCode).toBe(404);
    expect((await get('/scheduled-jobs/not-an-id')).statusCode).toBe(404);
    expect((await put(`/scheduled-jobs/${id}/pause`)).statusCode).toBe(404);
    expect((await put(`/scheduled-jobs/${id}/resume`)).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'DELETE', url: `/scheduled-jobs/${id}` })).statusCode).toBe(404);
  });
});

describe('pause, resume and delete', () => {
  it('moves ACTIVE ⇄ PAUSED, refusing a move from the wrong state, and deletes', async () => {
    const id = String((await created())['id']);

    expect(json((await put(`/scheduled-jobs/${id}/pause`)).body)).toEqual({ status: 'OK' });
    const paused = json((await get(`/scheduled-jobs/${id}`)).body);
    expect(paused).toMatchObject({ state: 'PAUSED', nextRunAt: [] });
    const again = await put(`/scheduled-jobs/${id}/pause`);
    expect(again.statusCode).toBe(400);
    expect(json(again.body)['error']).toMatch(/PAUSED/);

    expect((await put(`/scheduled-jobs/${id}/resume`)).statusCode).toBe(200);
    expect(json((await get(`/scheduled-jobs/${id}`)).body)).toMatchObject({ state: 'ACTIVE' });
    expect((await put(`/scheduled-jobs/${id}/resume`)).statusCode).toBe(400);

    const deleted = await api.app.inject({ method: 'DELETE', url: `/scheduled-jobs/${id}` });
    expect(deleted.statusCode).toBe(200);
    expect((await get(`/scheduled-jobs/${id}`)).statusCode).toBe(404);
  });
});

describe('jobs a schedule created', () => {
  it('show `schedule {id, cron}` and `scheduledJobId`, and GET /jobs filters by it', async () => {
    const id = String((await created())['id']);
    const scheduled = await api.datastore.schedules.get(id);
    if (scheduled === undefined) throw new Error('not stored');
    const fireAt = new Date(Date.now() + 1000).toISOString();
    const job = jobOfTick(scheduled, fireAt, fireAt);
    expect(await api.datastore.schedules.fire(id, fireAt, job, undefined)).toBe(true);
    await api.app.inject({
      method: 'POST',
      url: '/jobs',
      payload: 'name: other\ntasks:\n  - name: a\n    image: busybox\n',
      headers: { 'content-type': 'text/yaml' },
    });

    const view = json((await get(`/jobs/${job.id}`)).body);
    expect(view).toMatchObject({
      schedule: { id, cron: '0 3 * * *' },
      scheduledJobId: id,
      name: 'nightly backup',
    });
    const list = json((await get(`/jobs?scheduledJobId=${id}`)).body);
    expect(list).toMatchObject({
      totalItems: 1,
      items: [{ id: job.id, schedule: { id, cron: '0 3 * * *' } }],
    });
    expect(json((await get('/jobs')).body)['totalItems']).toBe(2);
  });

  it("carry the schedule's webhooks; both views redact their secret headers", async () => {
    const hooked = NIGHTLY_YAML.replace(
      'tasks:\n',
      `webhooks:
  - url: https://hooks.example/done
    event: job.StateChange
    headers:
      Authorization: Bearer tok-123456
      X-Job: "{{ job.id }}"
tasks:\n`,
    );
    const body = await created(hooked);
    const redacted = [
      {
        url: 'https://hooks.example/done',
        event: 'job.StateChange',
        headers: { Authorization: REDACTED, 'X-Job': '{{ job.id }}' },
      },
    ];
    expect(body['webhooks']).toEqual(redacted);
    expect(json((await get(`/scheduled-jobs/${String(body['id'])}`)).body)['webhooks']).toEqual(redacted);
    expect(JSON.stringify(json((await get('/scheduled-jobs')).body))).not.toContain('tok-123456');

    const scheduled = await api.datastore.schedules.get(String(body['id']));
    if (scheduled === undefined) throw new Error('not stored');
    const fireAt = new Date(Date.now() + 1000).toISOString();
    const job = jobOfTick(scheduled, fireAt, fireAt);
    expect(await api.datastore.schedules.fire(scheduled.id, fireAt, job, undefined)).toBe(true);

    expect((await api.datastore.jobs.get(job.id))?.webhooks?.[0]?.headers).toEqual({
      Authorization: 'Bearer tok-123456',
      'X-Job': '{{ job.id }}',
    });
    const view = json((await get(`/jobs/${job.id}`)).body);
    expect(view['webhooks']).toEqual(redacted);
    expect(JSON.stringify(view)).not.toContain('tok-123456');
  });
});
