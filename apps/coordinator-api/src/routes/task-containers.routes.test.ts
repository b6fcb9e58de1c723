import { randomBytes } from 'node:crypto';
import {
  isEncrypted,
  Keyring,
  parseEncryptionKey,
  type JobSpecPolicy,
  type RuntimeFeatures,
} from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestApi, submitJob, type TestApi } from '../api.fixture.js';

let api: TestApi | undefined;

afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

const PASSWORD = 'Reg1stry-Pa55word';

/** A job with every container field, and a registry password on the task and on a post task. */
const EVERY_FIELD_YAML = `
name: containers
tasks:
  - name: build
    image: registry.local:5000/builder:1
    registry:
      username: ci
      password: ${PASSWORD}
    entrypoint: [bash, -c]
    run: ./build.sh
    files:
      build.sh: echo building
    workdir: /src
    user: "1000"
    mounts:
      - type: volume
        target: /cache
      - type: tmpfs
        target: /scratch
      - type: bind
        source: /srv/data/in
        target: /in
    networks: [backend]
    sidecars:
      - name: db
        image: busybox
        cmd: [httpd, -f, -p, "8080"]
        env:
          DB_PASSWORD: sidecar-secret
        probe:
          path: /
          port: 8080
          timeout: 30s
    gpus: count=1
    post:
      - image: registry.local:5000/uploader:1
        registry:
          username: ci
          password: ${PASSWORD}-post
        cmd: [upload, /cache]
`;

const ALL: RuntimeFeatures = {
  images: true,
  cmd: true,
  entrypoint: true,
  files: true,
  workdir: true,
  mounts: ['volume', 'tmpfs', 'bind'],
  networks: true,
  sidecars: true,
  registry: true,
  gpus: true,
  limits: true,
  user: true,
};

const ENGINE: JobSpecPolicy = {
  worker: { maxCpus: 2, maxMemoryBytes: 1024 ** 3, maxTimeoutMs: 3_600_000, bindPrefixes: ['/srv/data'] },
  features: ALL,
};

async function submit(body: string, policy: JobSpecPolicy = ENGINE, keyring?: Keyring) {
  api = await startTestApi({ jobSpecPolicy: policy, ...(keyring === undefined ? {} : { keyring }) });
  return submitJob(api, body, 'text/yaml');
}

/** Every way the API shows a job and its tasks, as text. */
async function everyReadOf(test: TestApi, id: string): Promise<string[]> {
  const job = await test.datastore.jobs.get(id);
  if (job === undefined) throw new Error('not stored');
  const [task] = await test.datastore.tasks.create([taskFixture(job, 0)]);
  if (task === undefined) throw new Error('not stored');
  const urls = [`/jobs/${id}`, `/job/${id}`, '/jobs', `/jobs/${id}/tasks`, `/tasks/${task.id}`];
  const replies = await Promise.all(urls.map((url) => test.app.inject({ method: 'GET', url })));
  for (const reply of replies) expect(reply.statusCode).toBe(200);
  return replies.map((reply) => reply.body);
}

describe('task container fields through the API', () => {
  it('accepts a job with every field and shows them, the registry passwords never', async () => {
    const reply = await submit(EVERY_FIELD_YAML);

    expect(reply.statusCode).toBe(200);
    expect(reply.body).not.toContain(PASSWORD);
    const id = String(json(reply.body)['id']);
    const reads = await everyReadOf(api!, id);
    for (const body of reads) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain('sidecar-secret');
    }
    const task = json(reads[4] ?? '');
    expect(task).toMatchObject({
      registry: { username: 'ci', password: '[REDACTED]' },
      entrypoint: ['bash', '-c'],
      files: { 'build.sh': 'echo building' },
      workdir: '/src',
      user: '1000',
      mounts: [
        { type: 'volume', target: '/cache' },
        { type: 'tmpfs', target: '/scratch' },
        { type: 'bind', source: '/srv/data/in', target: '/in' },
      ],
      networks: ['backend'],
      sidecars: [{ name: 'db', image: 'busybox', env: { DB_PASSWORD: '[REDACTED]' } }],
      gpus: 'count=1',
      post: [{ registry: { username: 'ci', password: '[REDACTED]' }, cmd: ['upload', '/cache'] }],
    });
  });

  it('stores registry passwords sealed when the engine has a key', async () => {
    const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);
    const reply = await submit(EVERY_FIELD_YAML, ENGINE, keyring);

    const job = await api!.datastore.jobs.get(String(json(reply.body)['id']));
    expect(isEncrypted(job?.tasks[0]?.registry?.password ?? '')).toBe(true);
    expect(isEncrypted(job?.tasks[0]?.post?.[0]?.registry?.password ?? '')).toBe(true);
    expect(JSON.stringify(job)).not.toContain(PASSWORD);
    for (const body of await everyReadOf(api!, job!.id)) expect(body).not.toContain('enc:v1');
  });

  it('never quotes a registry password in a 400', async () => {
    const reply = await submit(
      EVERY_FIELD_YAML.replace('workdir: /src', 'workdir: src').replace(
        'gpus: count=1',
        'gpus: 1\n    extra: x',
      ),
    );

    expect(reply.statusCode).toBe(400);
    expect(reply.body).not.toContain(PASSWORD);
    expect(reply.body).toContain('tasks[0].workdir');
  });

  it("answers 400 with paths for bad mounts, binds outside the engine's prefixes and requests over its ceilings", async () => {
    const reply = await submit(`
tasks:
  - image: busybox
    limits: { cpus: 4, memory: 2g }
    timeout: 2h
    mounts:
      - { type: bind, source: /etc, target: /in }
      - { type: volume, target: /tork/x }
      - { type: tmpfs, source: /tmp, target: /t }
`);

    expect(reply.statusCode).toBe(400);
    const paths = (json(reply.body)['problems'] as { path: string; message: string }[]).map(
      (problem) => `${problem.path}: ${problem.message}`,
    );
    expect(paths).toEqual([
      "tasks[0].limits.cpus: 4 is over this engine's ceiling of 2 (-max-cpus)",
      "tasks[0].limits.memory: 2g is over this engine's ceiling of 1g (-max-memory)",
      "tasks[0].timeout: 2h is over this engine's ceiling of 1h (-max-timeout)",
      'tasks[0].mounts[0].source: "/etc" is not under an allowed prefix (/srv/data)',
      'tasks[0].mounts[1].target: must not be /tork or under it: the engine uses it',
      'tasks[0].mounts[2].source: not allowed on a tmpfs mount: the engine creates it for the task',
    ]);
  });

  it('refuses binds when the engine allows none, and fields its runtime cannot honour', async () => {
    const noBinds = await submit(
      `
tasks:
  - image: busybox
    mounts: [{ type: bind, source: /srv/data, target: /in }]
`,
      { worker: {} },
    );
    expect(noBinds.statusCode).toBe(400);
    expect(noBinds.body).toContain('bind mounts are not allowed on this engine (-mounts-bind-allowed)');
    await api?.app.close();

    const unsupported = await submit(
      `
tasks:
  - image: busybox
    gpus: all
    sidecars: [{ name: web, image: busybox }]
`,
      { features: { ...ALL, gpus: false, sidecars: false } },
    );
    expect(unsupported.statusCode).toBe(400);
    expect(json(unsupported.body)['problems']).toEqual([
      { path: 'tasks[0].sidecars', message: "this engine's runtime cannot honour sidecars" },
      { path: 'tasks[0].gpus', message: "this engine's runtime cannot honour GPUs (none is known to it)" },
    ]);
  });

  it('accepts a job without images where the runtime runs none', async () => {
    const reply = await submit('tasks:\n  - run: echo hi\n', { imagesOptional: true });

    expect(reply.statusCode).toBe(200);
    expect(json(reply.body)['tasks']).toEqual([{ run: 'echo hi' }]);
  });
});
