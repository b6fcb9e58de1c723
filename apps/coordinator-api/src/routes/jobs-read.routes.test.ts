import { type Job, type Task, type Datastore } from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectHealthy, HELLO_YAML, json, startTestApi, submitJob, type TestApi } from '../api.fixture.js';

let api: TestApi;

beforeEach(async () => {
  api = await startTestApi();
});

afterEach(async () => {
  await api.app.close();
});

const submit = (body: string, contentType?: string, url?: string) => submitJob(api, body, contentType, url);
const expectStillHealthy = () => expectHealthy(api);

describe('GET /job/{id}', () => {
  const createdAt = '2024-01-02T03:04:05.000Z';
  const at = (minute: number) => `2024-01-02T03:${String(minute).padStart(2, '0')}:00.000Z`;

  const job: Job = {
    id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    name: 'everything',
    state: 'FAILED',
    tasks: [
      {
        name: 'convert',
        image: 'ffmpeg',
        run: 'ffmpeg -i in out',
        env: { INTRO: 'hi' },
        queue: 'transcoding',
        pre: [{ name: 'download', image: 'alpine', run: 'wget', env: { URL: 'x' }, timeout: '1m' }],
        post: [{ name: 'upload', image: 'alpine', run: 'wget --post-file' }],
        volumes: ['/tmp'],
        retry: { limit: 1, initialDelay: '1s', scalingFactor: 2 },
        timeout: '1h',
        limits: { cpus: '.5', memory: '10m' },
      },
    ],
    position: 0,
    createdAt,
    scheduledAt: at(1),
    startedAt: at(2),
    completedAt: at(3),
    failedAt: at(4),
    cancelledAt: at(5),
    result: 'partial',
    error: 'exit code 1',
  };

  const task: Task = {
    ...taskFixture(job, 0, 2, createdAt),
    id: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
    state: 'FAILED',
    nodeId: 'worker-1',
    result: 'some output',
    error: 'exit code 1',
    scheduledAt: at(1),
    startedAt: at(2),
    completedAt: at(3),
    failedAt: at(4),
    cancelledAt: at(5),
  };

  it.each(['/job', '/jobs'])(
    'shows every field of the job and of each execution at %s/{id}',
    async (prefix) => {
      await api.datastore.jobs.create(job);
      await createTask(api.datastore, task);

      const response = await api.app.inject({ method: 'GET', url: `${prefix}/${job.id}` });

      expect(response.statusCode).toBe(200);
      const body = json(response.body);
      expect(body).toEqual({
        id: job.id,
        name: 'everything',
        state: 'FAILED',
        createdAt,
        scheduledAt: at(1),
        startedAt: at(2),
        completedAt: at(3),
        failedAt: at(4),
        cancelledAt: at(5),
        position: 0,
        taskCount: 1,
        progress: 0,
        result: 'partial',
        error: 'exit code 1',
        tasks: job.tasks,
        context: { inputs: {}, secrets: {}, tasks: {} },
        execution: [
          {
            id: task.id,
            jobId: job.id,
            position: 1,
            kind: 'task',
            attempt: 2,
            name: 'convert',
            state: 'FAILED',
            image: 'ffmpeg',
            run: 'ffmpeg -i in out',
            env: { INTRO: 'hi' },
            queue: 'transcoding',
            pre: job.tasks[0]!.pre,
            post: job.tasks[0]!.post,
            volumes: ['/tmp'],
            retry: { limit: 1, initialDelay: '1s', scalingFactor: 2 },
            timeout: '1h',
            limits: { cpus: '.5', memory: '10m' },
            nodeId: 'worker-1',
            result: 'some output',
            error: 'exit code 1',
            createdAt,
            scheduledAt: at(1),
            startedAt: at(2),
            completedAt: at(3),
            failedAt: at(4),
            cancelledAt: at(5),
          },
        ],
      });
    },
  );

  it('leaves out fields that are not set', async () => {
    const id = String(json((await submit(HELLO_YAML, 'text/yaml')).body)['id']);
    const stored = await api.datastore.jobs.get(id);
    await createTask(api.datastore, taskFixture(stored!, 0, 1, createdAt));

    const body = json((await api.app.inject({ method: 'GET', url: `/job/${id}` })).body);

    expect(Object.keys(body).sort()).toEqual([
      'context',
      'createdAt',
      'createdBy',
      'execution',
      'id',
      'name',
      'position',
      'progress',
      'state',
      'taskCount',
      'tasks',
    ]);
    const execution = body['execution'] as Record<string, unknown>[];
    expect(Object.keys(execution[0]!).sort()).toEqual([
      'attempt',
      'createdAt',
      'id',
      'image',
      'jobId',
      'kind',
      'name',
      'position',
      'queue',
      'run',
      'state',
    ]);
    expect(execution[0]).toMatchObject({ state: 'PENDING', queue: 'default' });
  });

  it.each(['/job', '/jobs'])('answers 404 for an unknown id at %s/{id}', async (prefix) => {
    const id = '0123456789abcdef0123456789abcdef';

    const response = await api.app.inject({ method: 'GET', url: `${prefix}/${id}` });

    expect(response.statusCode).toBe(404);
    expect(json(response.body)).toEqual({ error: `job ${id} not found` });
    await expectStillHealthy();
  });

  it('answers 404 for an id that is not an id', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/job/not-an-id' });

    expect(response.statusCode).toBe(404);
    expect(json(response.body)).toEqual({ error: 'job not-an-id not found' });
  });
});

describe('GET /jobs', () => {
  async function submitNamed(name: string): Promise<void> {
    const response = await submit(JSON.stringify({ name, tasks: [{ image: 'alpine' }] }), 'application/json');
    expect(response.statusCode).toBe(200);
  }

  it('pages through jobs newest first, with totals', async () => {
    for (const name of ['one', 'two', 'three']) await submitNamed(name);

    const first = json((await api.app.inject({ method: 'GET', url: '/jobs?page=1&size=2' })).body);
    const second = json((await api.app.inject({ method: 'GET', url: '/jobs?page=2&size=2' })).body);

    expect(first).toMatchObject({ number: 1, size: 2, totalPages: 2, totalItems: 3 });
    expect((first['items'] as { name: string }[]).map((job) => job.name)).toEqual(['three', 'two']);
    expect(second).toMatchObject({ number: 2, size: 2, totalPages: 2, totalItems: 3 });
    expect((second['items'] as { name: string }[]).map((job) => job.name)).toEqual(['one']);
  });

  it('lists job summaries without executions, 10 to a page by default', async () => {
    for (let i = 0; i < 12; i++) await submitNamed(`job ${i}`);

    const response = await api.app.inject({ method: 'GET', url: '/jobs' });

    expect(response.statusCode).toBe(200);
    const body = json(response.body);
    expect(body).toMatchObject({ number: 1, size: 10, totalPages: 2, totalItems: 12 });
    const items = body['items'] as Record<string, unknown>[];
    expect(items).toHaveLength(10);
    expect(Object.keys(items[0]!).sort()).toEqual([
      'createdAt',
      'createdBy',
      'id',
      'name',
      'position',
      'progress',
      'state',
      'taskCount',
    ]);
    expect(items[0]).toMatchObject({
      name: 'job 11',
      createdBy: { kind: 'anonymous', name: 'anonymous' },
      state: 'PENDING',
      taskCount: 1,
    });
  });

  describe('search', () => {
    async function stored(fields: Partial<Job>, minute: number): Promise<void> {
      await api.datastore.jobs.create({
        id: String(minute).padStart(32, '0'),
        state: 'PENDING',
        tasks: [{ image: 'alpine' }],
        position: 0,
        createdAt: `2024-01-02T03:${String(minute).padStart(2, '0')}:00.000Z`,
        ...fields,
      });
    }
    const names = async (query: string) => {
      const response = await api.app.inject({ method: 'GET', url: `/jobs?${query}` });
      expect(response.statusCode).toBe(200);
      const body = json(response.body);
      return {
        names: (body['items'] as { name: string }[]).map((job) => job.name),
        totalItems: body['totalItems'],
      };
    };

    beforeEach(async () => {
      await stored({ name: 'nightly backup', description: 'Copies the database', tags: ['prod', 'eu'] }, 1);
      await stored({ name: 'deploy api', tags: ['staging'], state: 'RUNNING' }, 2);
      await stored({ name: 'backup logs', tags: ['prod'], state: 'FAILED', error: 'disk full' }, 3);
    });

    it('finds jobs by the words of q in name, description and state, with tag: and tags: filters', async () => {
      expect(await names('q=backup')).toEqual({ names: ['backup logs', 'nightly backup'], totalItems: 2 });
      expect(await names('q=Database')).toEqual({ names: ['nightly backup'], totalItems: 1 });
      expect(await names('q=failed')).toEqual({ names: ['backup logs'], totalItems: 1 });
      expect(await names(`q=${encodeURIComponent('backup tag:eu')}`)).toEqual({
        names: ['nightly backup'],
        totalItems: 1,
      });
      expect(await names(`q=${encodeURIComponent('tags:staging,eu')}`)).toEqual({
        names: ['deploy api', 'nightly backup'],
        totalItems: 2,
      });
    });

    it('keeps the jobs in the states given, in any case, with q and paging', async () => {
      expect(await names('state=RUNNING')).toEqual({ names: ['deploy api'], totalItems: 1 });
      expect(await names('state=failed,running&size=1')).toEqual({ names: ['backup logs'], totalItems: 2 });
      expect(await names('state=PENDING,FAILED&q=backup&page=2&size=1')).toEqual({
        names: ['nightly backup'],
        totalItems: 2,
      });
    });

    it('answers 400 naming an unknown state', async () => {
      const response = await api.app.inject({ method: 'GET', url: '/jobs?state=RUNNING,DONE' });

      expect(response.statusCode).toBe(400);
      expect(json(response.body)['error']).toContain('DONE is not a job state');
    });

    it('shows a summary: no tasks, no error or result (secrets in them are masked with the specs only the job view reads)', async () => {
      const body = json((await api.app.inject({ method: 'GET', url: '/jobs?state=FAILED' })).body);
      expect(body['items']).toEqual([
        {
          id: '3'.padStart(32, '0'),
          name: 'backup logs',
          tags: ['prod'],
          state: 'FAILED',
          createdAt: '2024-01-02T03:03:00.000Z',
          position: 0,
          taskCount: 1,
          progress: 0,
        },
      ]);
    });
  });

  it('answers an empty page past the end', async () => {
    const body = json((await api.app.inject({ method: 'GET', url: '/jobs?page=5' })).body);

    expect(body).toEqual({ items: [], number: 5, size: 10, totalPages: 0, totalItems: 0 });
  });

  describe('rejects a bad query with every problem', () => {
    afterEach(expectStillHealthy);

    it.each([
      ['page=0', [{ path: 'page', message: 'must be >= 1' }]],
      ['size=0', [{ path: 'size', message: 'must be >= 1' }]],
      ['size=101', [{ path: 'size', message: 'must be <= 100' }]],
      ['page=abc', [{ path: 'page', message: 'must be integer' }]],
      ['page=1.5', [{ path: 'page', message: 'must be integer' }]],
      [
        'page=-1&size=1000',
        [
          { path: 'page', message: 'must be >= 1' },
          { path: 'size', message: 'must be <= 100' },
        ],
      ],
    ])('%s', async (query, problems) => {
      const response = await api.app.inject({ method: 'GET', url: `/jobs?${query}` });

      expect(response.statusCode).toBe(400);
      const body = json(response.body);
      expect(body['problems']).toEqual(problems);
      expect(String(body['error'])).toMatch(/^invalid query: /);
    });
  });
});

/** Stores one execution; answers the stored one. */
async function createTask(datastore: Datastore, task: Task): Promise<Task> {
  const [stored] = await datastore.tasks.create([task]);
  if (stored === undefined) throw new Error('not stored');
  return stored;
}
