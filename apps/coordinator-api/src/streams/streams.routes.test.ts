import {
  logTopic,
  newJob,
  parseJobSpec,
  stateTopic,
  taskChange,
  type Task,
  type TaskLogEntry,
} from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { basic, bearer, json, startTestApi, type TestApi } from '../api.fixture.js';
import type { ApiDeps } from '../api.js';
import { openSse, type SseClient } from './sse-client.fixture.js';

const NOW = '2026-01-01T00:00:00.000Z';
const ADMIN_KEY = 'configured-admin-key-0123456789';
const admin = bearer(ADMIN_KEY);
// Notices drive the streams here; a long poll shows that they do.
const TIMING = { pollMs: 60_000, settleMs: 20, keepAliveMs: 100 };

let api: TestApi;
let base: string;
const clients: SseClient[] = [];

async function start(overrides: Partial<ApiDeps> = {}): Promise<void> {
  api = await startTestApi({ streams: { timing: TIMING }, ...overrides });
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
}

async function open(path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(base, path, headers);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await api.app.close();
});

async function runningTask(
  spec: object = { name: 'j', tasks: [{ name: 't', image: 'busybox', env: { API_SECRET: 'sesame' } }] },
) {
  const job = newJob(parseJobSpec(spec), NOW);
  await api.datastore.jobs.create(job);
  const [task] = await api.datastore.tasks.create([taskFixture(job, 0, 1, NOW)]);
  if (task === undefined) throw new Error('not stored');
  await api.datastore.tasks.update(task.id, taskChange('schedule', NOW));
  await api.datastore.tasks.update(task.id, taskChange('start', NOW, { nodeId: 'n1' }));
  await api.datastore.jobs.update(job.id, { from: ['PENDING'], patch: { state: 'RUNNING' } });
  return { job, task };
}

const entry = (task: Task, number: number, text: string): TaskLogEntry => ({
  taskId: task.id,
  number,
  stream: 'stdout',
  text,
  at: NOW,
});

/** Stores entries and tells the streams, as the scheduler's logs handler does. */
async function write(task: Task, entries: TaskLogEntry[]): Promise<void> {
  await api.datastore.logs.append(task.jobId, entries);
  await api.broker.publishEvent(logTopic(task.jobId, task.id), {
    jobId: task.jobId,
    taskId: task.id,
    entries,
  });
}

async function complete(task: Task): Promise<void> {
  await api.datastore.tasks.update(task.id, taskChange('complete', NOW, { result: 'done' }));
  await api.datastore.jobs.update(task.jobId, { from: ['RUNNING'], patch: { state: 'COMPLETED' } });
  await api.broker.publishEvent(stateTopic(task.jobId), { jobId: task.jobId });
}

const logTexts = (client: SseClient) =>
  client.events
    .filter((event) => event.event === 'log')
    .map((event) => (event.data as { text: string }).text);

describe('GET /tasks/{id}/log?follow=true', () => {
  it('streams stored entries, then new ones as they are written, then event: end when the task ends', async () => {
    await start();
    const { task } = await runningTask();
    await write(task, [entry(task, 1, 'one'), entry(task, 2, 'two with sesame')]);

    const client = await open(`/tasks/${task.id}/log?follow=true`);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await expect.poll(() => logTexts(client)).toEqual(['one', 'two with [REDACTED]']);
    expect(client.events.map((event) => event.id)).toEqual(['1', '2']);

    await write(task, [entry(task, 3, 'three')]);
    await expect.poll(() => logTexts(client)).toEqual(['one', 'two with [REDACTED]', 'three']);
    expect(client.events.some((event) => event.event === 'end')).toBe(false);

    await complete(task);
    await client.ended;
    expect(client.events.at(-1)?.event).toBe('end');
    expect(client.events[2]).toMatchObject({ event: 'log', id: '3', data: { taskId: task.id, number: 3 } });
  });

  it('resumes after Last-Event-ID', async () => {
    await start();
    const { task } = await runningTask();
    await write(task, [entry(task, 1, 'one'), entry(task, 2, 'two'), entry(task, 3, 'three')]);
    const client = await open(`/task/${task.id}/log?follow=true`, { 'last-event-id': '2' });
    await expect.poll(() => logTexts(client)).toEqual(['three']);
    expect(client.events[0]?.id).toBe('3');
  });

  it('of a task that already ended sends what is stored, then end', async () => {
    await start();
    const { task } = await runningTask();
    await write(task, [entry(task, 1, 'only')]);
    await complete(task);
    const client = await open(`/tasks/${task.id}/log?follow=true`);
    await client.ended;
    expect(client.events.map((event) => event.event)).toEqual(['log', 'end']);
  });

  it('sends a keep-alive comment while nothing happens', async () => {
    await start();
    const { task } = await runningTask();
    const client = await open(`/tasks/${task.id}/log?follow=true`);
    await expect.poll(() => client.text()).toContain(': keep-alive\n\n');
  });

  it('answers 404 for an unknown task, before any stream starts', async () => {
    await start();
    const client = await open(`/tasks/${'c'.repeat(32)}/log?follow=true`);
    expect(client.status).toBe(404);
    await client.ended;
    expect(json(client.text())).toEqual({ error: `task ${'c'.repeat(32)} not found` });
  });
});

describe('GET /jobs/{id}/log?follow=true', () => {
  it("streams every task's entries with ids counting the job's log, and ends with the job", async () => {
    await start();
    const { job, task } = await runningTask();
    const client = await open(`/jobs/${job.id}/log?follow=true`);
    await write(task, [entry(task, 1, 'a')]);
    await write(task, [entry(task, 2, 'b')]);
    await expect.poll(() => logTexts(client)).toEqual(['a', 'b']);
    await complete(task);
    await client.ended;
    expect(client.events.map((event) => [event.event, event.id])).toEqual([
      ['log', '1'],
      ['log', '2'],
      ['end', undefined],
    ]);

    const resumed = await open(`/jobs/${job.id}/log?follow=true`, { 'last-event-id': '1' });
    await resumed.ended;
    expect(logTexts(resumed)).toEqual(['b']);
  });
});

describe('GET /jobs/{id}/events', () => {
  it('streams state changes with the event sequence as id, resumes after Last-Event-ID, ends with the job', async () => {
    await start();
    const { job, task } = await runningTask();
    const client = await open(`/jobs/${job.id}/events`);
    await complete(task);
    await client.ended;
    const states = client.events.filter((event) => event.event === 'state');
    expect(states.map((event) => (event.data as { state: string }).state)).toEqual([
      'PENDING',
      'PENDING',
      'SCHEDULED',
      'RUNNING',
      'RUNNING',
      'COMPLETED',
      'COMPLETED',
    ]);
    expect(states.find((event) => (event.data as { taskId?: string }).taskId === task.id)?.data).toEqual({
      jobId: job.id,
      taskId: task.id,
      state: 'PENDING',
      at: NOW,
    });
    expect(client.events.at(-1)).toMatchObject({ event: 'end', data: { state: 'COMPLETED' } });
    const ids = states.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    const resumed = await open(`/jobs/${job.id}/events`, { 'last-event-id': String(ids[4]) });
    await resumed.ended;
    expect(resumed.events.filter((event) => event.event === 'state').map((event) => event.id)).toEqual(
      states.slice(5).map((event) => event.id),
    );
  });
});

describe('closing the API', () => {
  it('ends open streams without an end event, so clients reconnect elsewhere, and closes promptly', async () => {
    await start();
    const { job, task } = await runningTask();
    const client = await open(`/tasks/${task.id}/log?follow=true`);
    const events = await open(`/jobs/${job.id}/events`);
    await expect.poll(() => events.events.length).toBeGreaterThan(0);
    const started = Date.now();
    await api.app.close();
    await client.ended;
    await events.ended;
    expect(Date.now() - started).toBeLessThan(2000);
    expect([...client.events, ...events.events].some((event) => event.event === 'end')).toBe(false);
  });
});

describe('stream access', () => {
  async function withUsers(): Promise<void> {
    await start({ auth: { staticKeys: [ADMIN_KEY] } });
    for (const username of ['alice', 'bob']) {
      const created = await api.app.inject({
        method: 'POST',
        url: '/users',
        headers: admin,
        payload: { username, password: `${username}-password` },
      });
      expect(created.statusCode).toBe(201);
    }
  }

  it("follows a job's permissions: a user it does not name gets 404 on every stream", async () => {
    await withUsers();
    const { job, task } = await runningTask({
      name: 'j',
      tasks: [{ image: 'busybox' }],
      permissions: [{ user: 'alice' }],
    });
    const bob = basic('bob', 'bob-password');
    for (const path of [
      `/jobs/${job.id}/events`,
      `/jobs/${job.id}/log?follow=true`,
      `/tasks/${task.id}/log?follow=true`,
    ])
      expect((await open(path, bob)).status, path).toBe(404);
    expect((await open(`/jobs/${job.id}/events`, basic('alice', 'alice-password'))).status).toBe(200);
  });

  it('takes a token from POST /streams/token as ?access_token= on stream routes only', async () => {
    await withUsers();
    const { job } = await runningTask({
      name: 'j',
      tasks: [{ image: 'busybox' }],
      permissions: [{ user: 'alice' }],
    });
    const minted = await api.app.inject({
      method: 'POST',
      url: '/streams/token',
      headers: basic('alice', 'alice-password'),
    });
    expect(minted.statusCode).toBe(200);
    const { token } = json(minted.body) as { token: string };

    expect((await open(`/jobs/${job.id}/events?access_token=${token}`)).status).toBe(200);
    expect((await open(`/jobs/${job.id}/events?access_token=${token}x`)).status).toBe(401);
    const page = await api.app.inject({ method: 'GET', url: `/jobs/${job.id}?access_token=${token}` });
    expect(page.statusCode).not.toBe(200);

    const bobs = await api.app.inject({
      method: 'POST',
      url: '/streams/token',
      headers: basic('bob', 'bob-password'),
    });
    const bobToken = (json(bobs.body) as { token: string }).token;
    expect((await open(`/jobs/${job.id}/events?access_token=${bobToken}`)).status).toBe(404);
  });

  it('bounds the open streams of a process, and frees a slot when its client goes away', async () => {
    await start({ streams: { timing: TIMING, maxStreams: 1 } });
    const { job } = await runningTask();
    const first = await open(`/jobs/${job.id}/events`);
    expect(first.status).toBe(200);
    const refused = await open(`/jobs/${job.id}/events`);
    expect(refused.status).toBe(503);
    first.close();
    await expect
      .poll(async () => {
        const next = await open(`/jobs/${job.id}/events`);
        next.close();
        return next.status;
      })
      .toBe(200);
  });
});
