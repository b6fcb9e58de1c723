import { QUEUE, taskChange, type Message, type Datastore, type Task } from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, bearer, collect, json, startTestApi, type TestApi } from '../api.fixture.js';

const ADMIN_KEY = 'configured-admin-key-0123456789';
const admin = bearer(ADMIN_KEY);
const alice = basic('alice', 'alice-password');
const bob = basic('bob', 'bob-password');
const erin = basic('erin', 'erin-password');

let api: TestApi;
let jobsQueue: Message[];

beforeEach(async () => {
  api = await startTestApi({ auth: { staticKeys: [ADMIN_KEY] } });
  for (const username of ['alice', 'bob', 'erin']) {
    const created = await api.app.inject({
      method: 'POST',
      url: '/users',
      headers: admin,
      payload: { username, password: `${username}-password` },
    });
    expect(created.statusCode).toBe(201);
  }
  jobsQueue = await collect(api.broker, QUEUE.jobs);
});

afterEach(async () => {
  await api.app.close();
});

async function submit(headers: Record<string, string>, spec: object): Promise<string> {
  const response = await api.app.inject({
    method: 'POST',
    url: '/jobs',
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify(spec),
  });
  expect(response.statusCode, response.body).toBe(200);
  return String(json(response.body)['id']);
}

const hello = { name: 'hello', tasks: [{ image: 'busybox', run: 'echo hello' }] };

function get(url: string, headers: Record<string, string>) {
  return api.app.inject({ method: 'GET', url, headers });
}

function put(url: string, headers: Record<string, string>) {
  return api.app.inject({ method: 'PUT', url, headers });
}

describe('job permissions', () => {
  it('hides a job from a user it does not name: reads and cancel answer 404, as for an unknown job', async () => {
    const id = await submit(alice, { ...hello, permissions: [{ user: 'erin' }] });

    const read = await get(`/jobs/${id}`, bob);
    expect(read.statusCode).toBe(404);
    expect(json(read.body)).toEqual({ error: `job ${id} not found` });
    const cancel = await put(`/jobs/${id}/cancel`, bob);
    expect(cancel.statusCode).toBe(404);
    expect(json(cancel.body)).toEqual({ error: `job ${id} not found` });
    await expect.poll(() => jobsQueue.filter((message) => message.type === 'job.cancel')).toEqual([]);
  });

  it('lets the creator, the named user and an admin see and cancel it', async () => {
    const id = await submit(alice, { ...hello, permissions: [{ user: 'erin' }] });

    for (const who of [alice, erin, admin]) {
      const read = await get(`/job/${id}`, who);
      expect(read.statusCode).toBe(200);
      expect(json(read.body)).toMatchObject({
        createdBy: { kind: 'user', name: 'alice' },
        permissions: [{ user: 'erin' }],
      });
    }
    expect((await put(`/jobs/${id}/cancel`, erin)).statusCode).toBe(200);
    expect((await put(`/job/${id}/cancel`, admin)).statusCode).toBe(200);
    await expect
      .poll(() => jobsQueue.filter((message) => message.type === 'job.cancel'))
      .toEqual([
        { type: 'job.cancel', jobId: id },
        { type: 'job.cancel', jobId: id },
      ]);
  });

  it('lets every user with a named role see it, and no one else', async () => {
    const forUsers = await submit(admin, { ...hello, permissions: [{ role: 'user' }] });
    const forAdmins = await submit(admin, { ...hello, permissions: [{ role: 'admin' }] });

    expect((await get(`/jobs/${forUsers}`, bob)).statusCode).toBe(200);
    expect((await get(`/jobs/${forAdmins}`, bob)).statusCode).toBe(404);
    expect((await get(`/jobs/${forAdmins}`, admin)).statusCode).toBe(200);
  });

  it('shows a job without permissions to every caller, as Tork does', async () => {
    const id = await submit(alice, hello);
    expect((await get(`/jobs/${id}`, bob)).statusCode).toBe(200);
  });

  it('filters lists: each caller sees only the jobs they may see, with totals to match', async () => {
    const open = await submit(alice, hello);
    const alicesOwn = await submit(alice, { ...hello, permissions: [{ role: 'admin' }] });
    const forErin = await submit(admin, { ...hello, permissions: [{ user: 'erin' }] });

    const list = async (who: Record<string, string>) => {
      const body = json((await get('/jobs', who)).body);
      return { ids: (body['items'] as { id: string }[]).map((job) => job.id), total: body['totalItems'] };
    };
    expect(await list(admin)).toEqual({ ids: [forErin, alicesOwn, open], total: 3 });
    expect(await list(alice)).toEqual({ ids: [alicesOwn, open], total: 2 });
    expect(await list(erin)).toEqual({ ids: [forErin, open], total: 2 });
    expect(await list(bob)).toEqual({ ids: [open], total: 1 });
  });

  it('hides the tasks and logs of a job one may not see (404), and cancelling its task', async () => {
    const id = await submit(alice, { ...hello, permissions: [{ user: 'erin' }] });
    const job = await api.datastore.jobs.get(id);
    const task = await createTask(api.datastore, taskFixture(job!, 0, 1, new Date().toISOString()));
    await api.datastore.tasks.update(
      task.id,
      taskChange('start', new Date().toISOString(), { nodeId: 'n1' }),
    );

    for (const url of [`/tasks/${task.id}`, `/task/${task.id}/log`]) {
      const hidden = await get(url, bob);
      expect(hidden.statusCode, url).toBe(404);
      expect(json(hidden.body), url).toEqual({ error: `task ${task.id} not found` });
      expect((await get(url, erin)).statusCode, url).toBe(200);
    }
    expect((await put(`/tasks/${task.id}/cancel`, bob)).statusCode).toBe(404);
    expect((await put(`/tasks/${task.id}/cancel`, erin)).statusCode).toBe(200);
  });

  it('refuses permissions naming an unknown user or role (400, with the path); an API key name counts as a user', async () => {
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/jobs',
      headers: { ...alice, 'content-type': 'application/json' },
      payload: JSON.stringify({
        ...hello,
        permissions: [{ role: 'user' }, { user: 'nobody' }, { role: 'boss' }],
      }),
    });
    expect(unknown.statusCode).toBe(400);
    expect(json(unknown.body)['problems']).toEqual([
      { path: 'permissions[2].role', message: 'must be one of admin, user' },
    ]);
    const nobody = await api.app.inject({
      method: 'POST',
      url: '/jobs',
      headers: { ...alice, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...hello, permissions: [{ role: 'user' }, { user: 'nobody' }] }),
    });
    expect(nobody.statusCode).toBe(400);
    expect(json(nobody.body)['problems']).toEqual([
      { path: 'permissions[1].user', message: 'no user or API key is named "nobody"' },
    ]);
    expect(await api.datastore.jobs.list({ page: 1, size: 10 })).toMatchObject({ totalItems: 0 });

    const created = await api.app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: admin,
      payload: { name: 'ci-bot' },
    });
    const key = bearer(String(json(created.body)['key']));
    const id = await submit(alice, { ...hello, permissions: [{ user: 'ci-bot' }] });
    expect((await get(`/jobs/${id}`, key)).statusCode).toBe(200);
  });
});

/** Stores one execution; answers the stored one. */
async function createTask(datastore: Datastore, task: Task): Promise<Task> {
  const [stored] = await datastore.tasks.create([task]);
  if (stored === undefined) throw new Error('not stored');
  return stored;
}
