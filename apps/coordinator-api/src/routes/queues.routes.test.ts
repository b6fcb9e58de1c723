import {
  DEFAULT_QUEUE,
  newJob,
  parseJobSpec,
  QUEUE,
  taskChange,
  type Message,
  type Task,
} from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, bearer, startTestApi, type TestApi } from '../api.fixture.js';

const NOW = '2026-01-01T00:00:00.000Z';
const ADMIN_KEY = 'configured-admin-key-0123456789';
const admin = bearer(ADMIN_KEY);
const bob = basic('bob', 'bob-password');

let api: TestApi;

beforeEach(async () => {
  api = await startTestApi({ auth: { staticKeys: [ADMIN_KEY] } });
  const created = await api.app.inject({
    method: 'POST',
    url: '/users',
    headers: admin,
    payload: { username: 'bob', password: 'bob-password', role: 'user' },
  });
  expect(created.statusCode).toBe(201);
});

afterEach(async () => {
  await api.app.close();
});

/** A stored SCHEDULED task whose `task.run` waits in `queue`, as the scheduler leaves it. */
async function scheduledTask(queue: string): Promise<Task> {
  const job = newJob(parseJobSpec({ name: 'j', tasks: [{ image: 'busybox', queue }] }), NOW);
  await api.datastore.jobs.create(job);
  const [task] = await api.datastore.tasks.create([taskFixture(job, 0, 1, NOW)]);
  if (task === undefined) throw new Error('not stored');
  await api.datastore.tasks.update(task.id, taskChange('schedule', NOW));
  await api.broker.publish(queue, {
    type: 'task.run',
    task: { id: task.id, jobId: job.id, attempt: 1, queue, spec: { image: 'busybox' } },
  });
  return task;
}

function get(url: string, headers: Record<string, string> = bob) {
  return api.app.inject({ method: 'GET', url, headers });
}

function purge(name: string, headers: Record<string, string> = admin) {
  return api.app.inject({ method: 'DELETE', url: `/queues/${encodeURIComponent(name)}`, headers });
}

describe('GET /queues', () => {
  it('lists every queue with its size, subscribers and unacked, for any signed-in user', async () => {
    await scheduledTask(DEFAULT_QUEUE);
    await scheduledTask(DEFAULT_QUEUE);
    await api.broker.subscribe(QUEUE.jobs, () => Promise.resolve(), { concurrency: 1 });

    const response = await get('/queues');

    expect(response.statusCode).toBe(200);
    const queues = response.json<unknown[]>();
    expect(queues).toContainEqual({ name: DEFAULT_QUEUE, size: 2, subscribers: 0, unacked: 0 });
    expect(queues).toContainEqual({ name: QUEUE.jobs, size: 0, subscribers: 1, unacked: 0 });
    expect((await api.app.inject({ method: 'GET', url: '/queues' })).statusCode).toBe(401);
  });

  it('GET /queues/{name} answers one queue, 404 for one that does not exist', async () => {
    await scheduledTask('gpu');

    const found = await get('/queues/gpu');
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ name: 'gpu', size: 1, subscribers: 0, unacked: 0 });

    const missing = await get('/queues/nowhere');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'queue nowhere not found' });
  });
});

describe('DELETE /queues/{name}', () => {
  it('purges a work queue and fails its waiting tasks through the error queue, naming who purged it', async () => {
    const first = await scheduledTask(DEFAULT_QUEUE);
    const second = await scheduledTask(DEFAULT_QUEUE);
    const reports: Message[] = [];
    await api.broker.subscribe(QUEUE.error, (message) => Promise.resolve(void reports.push(message)), {
      concurrency: 1,
    });

    const response = await purge(DEFAULT_QUEUE);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      name: DEFAULT_QUEUE,
      purged: 2,
      failedTasks: [first.id, second.id],
    });
    await expect.poll(() => reports.length).toBe(2);
    expect(reports).toContainEqual({
      type: 'task.failed',
      jobId: first.jobId,
      taskId: first.id,
      error: `the queue ${DEFAULT_QUEUE} was purged by static-key:1`,
      at: expect.any(String) as unknown,
    });
    expect((await get(`/queues/${DEFAULT_QUEUE}`)).json()).toMatchObject({ size: 0 });
  });

  it('fails no task whose message was stale (the task ended or was cancelled meanwhile)', async () => {
    const task = await scheduledTask(DEFAULT_QUEUE);
    await api.datastore.tasks.update(task.id, taskChange('cancel', NOW));

    const response = await purge(DEFAULT_QUEUE);

    expect(response.json()).toEqual({ name: DEFAULT_QUEUE, purged: 1, failedTasks: [] });
  });

  it.each([QUEUE.jobs, QUEUE.pending, QUEUE.error, 'x-some-worker'])(
    "refuses the engine's own queue %s with 400 and leaves it as it was",
    async (name) => {
      await api.broker.publish(name, { type: 'job.submitted', jobId: 'j1' });

      const response = await purge(name);

      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: `the queue ${name} is the engine's own: only work queues can be purged`,
      });
      expect((await api.broker.queue(name))?.size).toBe(1);
    },
  );

  it('answers 404 for a queue that does not exist, and 403 to a user who is not an admin', async () => {
    await scheduledTask(DEFAULT_QUEUE);

    expect((await purge('nowhere')).statusCode).toBe(404);
    const forbidden = await purge(DEFAULT_QUEUE, bob);
    expect(forbidden.statusCode).toBe(403);
    expect((await api.broker.queue(DEFAULT_QUEUE))?.size).toBe(1);
  });
});
