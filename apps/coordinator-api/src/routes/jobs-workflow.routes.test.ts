import { childFixture, taskFixture } from '@tork/testing';
import { jobChange, QUEUE, REDACTED, stateTopic, type Task } from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { collect, json, startTestApi, submitJob, type TestApi } from '../api.fixture.js';

/** What the API offers for the job language: restart, the task tree, a job's log, and `wait`. */
describe('jobs: restart, tasks, log and wait', () => {
  let api: TestApi;

  beforeEach(async () => {
    api = await startTestApi();
  });

  afterEach(async () => {
    await api.app.close();
  });

  async function submitted(body: unknown): Promise<string> {
    const response = await submitJob(api, JSON.stringify(body), 'application/json', '/jobs');
    expect(response.statusCode).toBe(200);
    return String(json(response.body)['id']);
  }

  const put = (url: string) => api.app.inject({ method: 'PUT', url });
  const get = (url: string) => api.app.inject({ method: 'GET', url });

  it('restarts a failed or cancelled job through the scheduler, and refuses any other with 400', async () => {
    const restarts = await collect(api.broker, QUEUE.jobs);
    const id = await submitted({ tasks: [{ image: 'busybox' }] });

    const running = await put(`/jobs/${id}/restart`);
    expect(running.statusCode).toBe(400);
    expect(json(running.body)).toEqual({
      error: 'job is PENDING: only a failed or cancelled job can be restarted',
    });

    await api.datastore.jobs.update(id, jobChange('fail', new Date().toISOString(), { error: 'boom' }));
    for (const url of [`/jobs/${id}/restart`, `/job/${id}/restart`]) {
      const response = await put(url);
      expect(response.statusCode, url).toBe(200);
      expect(json(response.body)).toEqual({ status: 'OK' });
    }
    expect(restarts.filter((message) => message.type === 'job.restart')).toEqual([
      { type: 'job.restart', jobId: id },
      { type: 'job.restart', jobId: id },
    ]);
    expect((await put(`/jobs/${'f'.repeat(32)}/restart`)).statusCode).toBe(404);
  });

  it("pages a composite task's children, which a job view shows only the first 100 of, with counts", async () => {
    const id = await submitted({
      tasks: [{ each: { list: '{{ sequence(0, 150) }}', task: { image: 'busybox' } } }],
    });
    const job = await api.datastore.jobs.get(id);
    const [parent] = await api.datastore.tasks.create([
      { ...taskFixture(job!), kind: 'each', state: 'RUNNING', childCount: 150, pendingChildren: 150 },
    ]);
    await api.datastore.tasks.create(
      Array.from({ length: 150 }, (_, index): Task =>
        childFixture(parent!, index, { state: index < 10 ? 'PENDING' : 'CREATED' }),
      ),
    );

    const view = json((await get(`/jobs/${id}`)).body);
    const execution = view['execution'] as Record<string, unknown>[];
    expect(execution).toHaveLength(101);
    expect(execution[0]).toMatchObject({
      id: parent!.id,
      kind: 'each',
      childCounts: { PENDING: 10, CREATED: 140 },
    });
    expect(execution[100]).toMatchObject({ parentId: parent!.id, position: 100 });

    const page = json((await get(`/jobs/${id}/tasks?parentId=${parent!.id}&page=6&size=25`)).body);
    expect(page).toMatchObject({ number: 6, size: 25, totalItems: 150, totalPages: 6 });
    expect((page['items'] as Record<string, unknown>[]).map((item) => item['position'])).toEqual(
      Array.from({ length: 25 }, (_, i) => 126 + i),
    );
    const top = json((await get(`/jobs/${id}/tasks`)).body);
    expect(top).toMatchObject({ totalItems: 1 });
  });

  it("shows every task's output of a job in the order it was written, secrets masked", async () => {
    const id = await submitted({
      secrets: { token: 'sekr1t-value' },
      tasks: [{ image: 'busybox', env: { DB_PASSWORD: 'hunter2' } }],
    });
    const job = await api.datastore.jobs.get(id);
    const [first, second] = await api.datastore.tasks.create([
      taskFixture(job!, 0, 1),
      taskFixture(job!, 0, 2),
    ]);
    const at = new Date().toISOString();
    await api.datastore.logs.append(id, [
      { taskId: first!.id, number: 1, stream: 'stdout', text: 'one hunter2\n', at },
      { taskId: second!.id, number: 1, stream: 'stdout', text: 'two sekr1t-value\n', at },
      { taskId: first!.id, number: 2, stream: 'stderr', text: 'three\n', at },
    ]);

    for (const url of [`/jobs/${id}/log`, `/job/${id}/log`]) {
      const page = json((await get(url)).body);
      expect(page['totalItems'], url).toBe(3);
      expect(
        (page['items'] as Record<string, unknown>[]).map((item) => [item['taskId'], item['text']]),
      ).toEqual([
        [first!.id, `one ${REDACTED}\n`],
        [second!.id, `two ${REDACTED}\n`],
        [first!.id, 'three\n'],
      ]);
    }
    const view = (await get(`/jobs/${id}`)).body;
    expect(view).not.toContain('sekr1t-value');
    expect(json(view)['context']).toMatchObject({ secrets: { token: REDACTED } });
  });

  it('answers a submission with `wait` once the job ended, with the whole job', async () => {
    const pending = submitJob(
      api,
      JSON.stringify({ name: 'waited', wait: { timeout: '5s' }, tasks: [{ image: 'busybox' }] }),
      'application/json',
      '/jobs',
    );
    // Stands in for the scheduler: the job ends a little later.
    await expect.poll(async () => (await api.datastore.jobs.list({ page: 1, size: 1 })).totalItems).toBe(1);
    const [job] = (await api.datastore.jobs.list({ page: 1, size: 1 })).items;
    const now = new Date().toISOString();
    await api.datastore.jobs.update(job!.id, jobChange('schedule', now));
    await api.datastore.jobs.update(job!.id, jobChange('complete', now, { result: 'done' }));

    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(json(response.body)).toMatchObject({
      id: job!.id,
      state: 'COMPLETED',
      result: 'done',
      execution: [],
    });
  });

  it("answers a waiting submission when the scheduler's notice comes, reading the job only then", async () => {
    await api.app.close();
    // Without a notice the job would be read again only after a minute.
    api = await startTestApi({ streams: { timing: { pollMs: 60_000 } } });
    const reads = vi.spyOn(api.datastore.events, 'list');
    const pending = submitJob(
      api,
      JSON.stringify({ wait: { timeout: '1m' }, tasks: [{ image: 'busybox' }] }),
      'application/json',
      '/jobs',
    );
    // The wait listens before its first read.
    await expect.poll(() => reads.mock.calls.length).toBe(1);
    const [job] = (await api.datastore.jobs.list({ page: 1, size: 1 })).items;
    const now = new Date().toISOString();
    await api.datastore.jobs.update(job!.id, jobChange('schedule', now));
    await api.datastore.jobs.update(job!.id, jobChange('complete', now, { result: 'done' }));
    await api.broker.publishEvent(stateTopic(job!.id), { jobId: job!.id });

    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(json(response.body)).toMatchObject({ id: job!.id, state: 'COMPLETED', result: 'done' });
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("answers 408 with the job's id when `wait` times out, and the job keeps running", async () => {
    const response = await submitJob(
      api,
      JSON.stringify({ wait: { timeout: '300ms' }, tasks: [{ image: 'busybox' }] }),
      'application/json',
      '/jobs',
    );
    expect(response.statusCode).toBe(408);
    const body = json(response.body);
    expect(body['error']).toBe('wait timed out');
    expect((await api.datastore.jobs.get(String(body['id'])))?.state).toBe('PENDING');
  });
});
