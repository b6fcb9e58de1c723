import {
  newJob,
  parseJobSpec,
  QUEUE,
  taskChange,
  type Message,
  type Datastore,
  type Task,
} from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { describe, expect, it } from 'vitest';
import { json, startTestApi } from '../api.fixture.js';

const NOW = '2026-01-01T00:00:00.000Z';

async function withRunningTask(env: Record<string, string> = {}) {
  const api = await startTestApi();
  const job = newJob(
    parseJobSpec({ name: 'j', tasks: [{ name: 't', image: 'busybox', env }, { image: 'busybox' }] }),
    NOW,
  );
  await api.datastore.jobs.create(job);
  const task = await createTask(api.datastore, taskFixture(job, 0, 1, NOW));
  await api.datastore.tasks.update(task.id, taskChange('schedule', NOW));
  await api.datastore.tasks.update(task.id, taskChange('start', NOW, { nodeId: 'n1' }));
  const jobsMessages: Message[] = [];
  await api.broker.subscribe(QUEUE.jobs, (message) => Promise.resolve(void jobsMessages.push(message)), {
    concurrency: 1,
  });
  return { ...api, job, task, jobsMessages };
}

describe('task routes', () => {
  it.each(['/task', '/tasks'])(
    '%s/{id}/cancel on a running task answers 200 OK and asks the scheduler to cancel its job',
    async (base) => {
      const { app, job, task, jobsMessages } = await withRunningTask();
      const response = await app.inject({ method: 'PUT', url: `${base}/${task.id}/cancel` });
      expect(response.statusCode).toBe(200);
      expect(json(response.body)).toEqual({ status: 'OK' });
      await expect.poll(() => jobsMessages).toEqual([{ type: 'job.cancel', jobId: job.id }]);
      await app.close();
    },
  );

  it('cancel on a task that is not running answers 400 "task is not running"', async () => {
    const { app, datastore, task } = await withRunningTask();
    await datastore.tasks.update(task.id, taskChange('complete', NOW, { result: 'done' }));
    const response = await app.inject({ method: 'PUT', url: `/task/${task.id}/cancel` });
    expect(response.statusCode).toBe(400);
    expect(json(response.body)).toEqual({ error: 'task is not running' });
    await app.close();
  });

  it('cancel on an unknown task answers 404', async () => {
    const { app } = await startTestApi();
    const response = await app.inject({ method: 'PUT', url: `/task/${'c'.repeat(32)}/cancel` });
    expect(response.statusCode).toBe(404);
    expect(json(response.body)).toEqual({ error: `task ${'c'.repeat(32)} not found` });
    await app.close();
  });

  it('PUT /jobs/{id}/cancel cancels an active job, and answers 400 for one that ended', async () => {
    const { app, datastore, job, jobsMessages } = await withRunningTask();
    const ok = await app.inject({ method: 'PUT', url: `/jobs/${job.id}/cancel` });
    expect(ok.statusCode).toBe(200);
    await expect.poll(() => jobsMessages).toEqual([{ type: 'job.cancel', jobId: job.id }]);
    await datastore.jobs.update(job.id, { from: ['PENDING'], patch: { state: 'COMPLETED' } });
    const ended = await app.inject({ method: 'PUT', url: `/job/${job.id}/cancel` });
    expect(ended.statusCode).toBe(400);
    expect(json(ended.body)).toMatchObject({ error: expect.stringContaining('job is COMPLETED') as unknown });
    expect((await app.inject({ method: 'PUT', url: `/jobs/${'d'.repeat(32)}/cancel` })).statusCode).toBe(404);
    await app.close();
  });

  it('GET /tasks/{id} shows the execution with its steps, secrets redacted', async () => {
    const { app, datastore, task } = await withRunningTask({ API_SECRET: 'sesame', PLAIN: 'visible' });
    await datastore.tasks.update(
      task.id,
      taskChange('fail', NOW, {
        error: 'exit code 1: sesame',
        steps: [
          {
            kind: 'main',
            index: 0,
            image: 'busybox',
            state: 'FAILED',
            error: 'exit code 1: sesame',
            startedAt: NOW,
            endedAt: NOW,
          },
        ],
      }),
    );
    const response = await app.inject({ method: 'GET', url: `/tasks/${task.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('sesame');
    expect(json(response.body)).toMatchObject({
      id: task.id,
      state: 'FAILED',
      env: { API_SECRET: '[REDACTED]', PLAIN: 'visible' },
      error: 'exit code 1: [REDACTED]',
      steps: [{ kind: 'main', state: 'FAILED', error: 'exit code 1: [REDACTED]' }],
    });
    expect((await app.inject({ method: 'GET', url: `/task/${'e'.repeat(32)}` })).statusCode).toBe(404);
    await app.close();
  });

  it('GET /tasks/{id}/log pages the output oldest first, secrets masked', async () => {
    const { app, datastore, task } = await withRunningTask({ DB_PASSWORD: 'hunter2' });
    await datastore.logs.append(
      task.jobId,
      Array.from({ length: 30 }, (_, i) => ({
        taskId: task.id,
        number: i + 1,
        stream: 'stdout' as const,
        text: i === 3 ? 'password hunter2\n' : `line ${i + 1}\n`,
        at: NOW,
      })),
    );
    const first = await app.inject({ method: 'GET', url: `/tasks/${task.id}/log` });
    expect(first.statusCode).toBe(200);
    const body = json(first.body) as {
      items: { number: number; text: string }[];
      totalItems: number;
      totalPages: number;
      size: number;
    };
    expect(body).toMatchObject({ number: 1, size: 25, totalItems: 30, totalPages: 2 });
    expect(body.items.map((item) => item.number)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(first.body).not.toContain('hunter2');
    expect(body.items[3]?.text).toBe('password [REDACTED]\n');
    const second = json(
      (await app.inject({ method: 'GET', url: `/task/${task.id}/log?page=2&size=25` })).body,
    ) as { items: unknown[] };
    expect(second.items).toHaveLength(5);
    expect((await app.inject({ method: 'GET', url: `/tasks/${task.id}/log?size=500` })).statusCode).toBe(400);
    await app.close();
  });

  it("GET /tasks/{id}/log entries carry Tork's id, number, taskId, contents and createdAt, masked too", async () => {
    const { app, datastore, task } = await withRunningTask({ DB_PASSWORD: 'hunter2' });
    await datastore.logs.append(task.jobId, [
      { taskId: task.id, number: 1, stream: 'stdout', text: 'token hunter2\n', at: NOW },
    ]);
    const body = json((await app.inject({ method: 'GET', url: `/tasks/${task.id}/log` })).body) as {
      items: unknown[];
    };
    expect(body.items).toEqual([
      {
        id: `${task.id}:1`,
        number: 1,
        taskId: task.id,
        contents: 'token [REDACTED]\n',
        createdAt: NOW,
        stream: 'stdout',
        text: 'token [REDACTED]\n',
        at: NOW,
      },
    ]);
    await app.close();
  });
});

/** Stores one execution; answers the stored one. */
async function createTask(datastore: Datastore, task: Task): Promise<Task> {
  const [stored] = await datastore.tasks.create([task]);
  if (stored === undefined) throw new Error('not stored');
  return stored;
}
