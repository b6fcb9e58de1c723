import { randomBytes } from 'node:crypto';
import { Keyring, parseEncryptionKey, REDACTED, SecretPolicy, type Datastore, type Task } from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  collect,
  expectHealthy,
  HELLO_YAML,
  json,
  SAMPLE_JSON,
  startTestApi,
  submitJob,
  type TestApi,
} from '../api.fixture.js';

const ID = /^[0-9a-f]{32}$/;

let api: TestApi;

beforeEach(async () => {
  api = await startTestApi();
});

afterEach(async () => {
  await api.app.close();
});

const submit = (body: string, contentType?: string, url?: string) => submitJob(api, body, contentType, url);
const expectStillHealthy = () => expectHealthy(api);

describe('POST /job', () => {
  it("accepts the seed's hello.yaml, stores the job and queues it", async () => {
    const submitted = await collect(api.broker, 'jobs');
    const response = await submit(HELLO_YAML, 'text/yaml');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = json(response.body);
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'id', 'name', 'state', 'tasks']);
    expect(body['id']).toMatch(ID);
    expect(body).toMatchObject({
      name: 'hello job',
      state: 'PENDING',
      tasks: [{ name: 'say hello', image: 'ubuntu:mantic', run: 'echo -n hello world\n' }],
    });
    expect(new Date(String(body['createdAt'])).toISOString()).toBe(body['createdAt']);

    const id = String(body['id']);
    const stored = await api.datastore.jobs.get(id);
    expect(stored).toMatchObject({ id, name: 'hello job', state: 'PENDING', position: 0 });
    await vi.waitFor(() => {
      expect(submitted).toEqual([{ type: 'job.submitted', jobId: id }]);
    });
  });

  it("accepts the seed's JSON example", async () => {
    const response = await submit(SAMPLE_JSON, 'application/json');

    expect(response.statusCode).toBe(200);
    expect(json(response.body)).toMatchObject({
      name: 'sample job',
      state: 'PENDING',
      tasks: [{ name: 'sample task', image: 'ubuntu:mantic', run: 'echo hello world' }],
    });
  });

  it("accepts the seed's YAML example, trailing comma in the image included", async () => {
    const yaml =
      '\nname: sample job\ntasks:\n  - name: sample task\n    image: ubuntu:mantic,\n    run: echo hello world\n';
    const response = await submit(yaml, 'text/yaml');

    expect(response.statusCode).toBe(200);
    expect(json(response.body)).toMatchObject({
      tasks: [{ name: 'sample task', image: 'ubuntu:mantic,', run: 'echo hello world' }],
    });
  });

  it.each(['application/x-yaml', 'text/yaml; charset=utf-8', 'application/x-yaml; charset=UTF-8'])(
    'accepts YAML as %s',
    async (contentType) => {
      const response = await submit(HELLO_YAML, contentType);

      expect(response.statusCode).toBe(200);
      expect(json(response.body)['name']).toBe('hello job');
    },
  );

  it('accepts JSON with a charset', async () => {
    const response = await submit(SAMPLE_JSON, 'application/json; charset=utf-8');

    expect(response.statusCode).toBe(200);
  });

  it('is also served at POST /jobs', async () => {
    const response = await submit(HELLO_YAML, 'text/yaml', '/jobs');

    expect(response.statusCode).toBe(200);
    expect(json(response.body)['id']).toMatch(ID);
  });

  it('keeps every field of a full task spec', async () => {
    const spec = {
      name: 'convert',
      tasks: [
        {
          name: 'convert a video',
          image: 'jrottenberg/ffmpeg:3.4-alpine',
          run: 'ffmpeg -i /tmp/input.ogv -t 5 /tmp/output.mp4',
          env: { INTRO: 'hello' },
          queue: 'transcoding',
          volumes: ['/tmp'],
          retry: { limit: 2, initialDelay: '5s', scalingFactor: 2 },
          timeout: '1h',
          limits: { cpus: '.5', memory: '10m' },
          pre: [{ name: 'download', image: 'alpine:3.18.3', run: 'wget x', env: { A: 'b' }, timeout: '5m' }],
          post: [{ name: 'upload', image: 'alpine:3.18.3', run: 'wget y' }],
        },
      ],
    };
    const response = await submit(JSON.stringify(spec), 'application/json');

    expect(response.statusCode).toBe(200);
    expect(json(response.body)['tasks']).toEqual(spec.tasks);
  });

  describe('rejects an invalid job with every problem and its path', () => {
    afterEach(expectStillHealthy);

    it('a task without an image', async () => {
      const response = await submit('name: x\ntasks:\n  - name: no image\n    run: echo hi\n', 'text/yaml');

      expect(response.statusCode).toBe(400);
      expect(json(response.body)).toEqual({
        error: 'invalid job: tasks[0].image: required',
        problems: [{ path: 'tasks[0].image', message: 'required' }],
      });
    });

    it('unknown fields, at any depth', async () => {
      const body = {
        name: 'x',
        colour: 'red',
        tasks: [{ image: 'alpine', imagee: 'typo', pre: [{ image: 'alpine', queue: 'q' }] }],
      };
      const response = await submit(JSON.stringify(body), 'application/json');

      expect(response.statusCode).toBe(400);
      expect(json(response.body)['problems']).toEqual(
        expect.arrayContaining([
          { path: 'colour', message: 'unknown field' },
          { path: 'tasks[0].imagee', message: 'unknown field' },
          { path: 'tasks[0].pre[0].queue', message: 'unknown field' },
        ]),
      );
      expect(json(response.body)['problems']).toHaveLength(3);
    });

    it('wrong types', async () => {
      const body = {
        name: 5,
        tasks: [{ image: 42, run: ['echo'], volumes: '/tmp', retry: { limit: 'twice' } }],
      };
      const response = await submit(JSON.stringify(body), 'application/json');

      expect(response.statusCode).toBe(400);
      const problems = json(response.body)['problems'] as { path: string }[];
      expect(problems.map((problem) => problem.path).sort()).toEqual([
        'name',
        'tasks[0].image',
        'tasks[0].retry.limit',
        'tasks[0].run',
        'tasks[0].volumes',
      ]);
      expect(String(json(response.body)['error'])).toMatch(/^invalid job: /);
    });

    it('a job without tasks', async () => {
      const response = await submit('name: nothing to do\n', 'text/yaml');

      expect(response.statusCode).toBe(400);
      expect(json(response.body)['problems']).toEqual([{ path: 'tasks', message: 'required' }]);
    });

    it('malformed YAML', async () => {
      const response = await submit('name: x\ntasks:\n  - image: [unclosed\n', 'text/yaml');

      expect(response.statusCode).toBe(400);
      const problems = json(response.body)['problems'] as { path: string; message: string }[];
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        path: 'body',
        message: expect.stringMatching(/^malformed YAML: /) as unknown,
      });
    });

    it('malformed JSON', async () => {
      const response = await submit('{"name": "x", "tasks": [', 'application/json');

      expect(response.statusCode).toBe(400);
      const problems = json(response.body)['problems'] as { path: string; message: string }[];
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        path: 'body',
        message: expect.stringMatching(/^malformed JSON: /) as unknown,
      });
    });

    it('an empty body', async () => {
      for (const contentType of ['application/json', 'text/yaml']) {
        const response = await submit('', contentType);

        expect(response.statusCode).toBe(400);
        expect(json(response.body)['problems']).toEqual([
          { path: 'body', message: 'required: the request body is empty' },
        ]);
      }
    });

    it('a body that is not an object', async () => {
      const response = await submit('[1, 2]', 'application/json');

      expect(response.statusCode).toBe(400);
      expect(json(response.body)['problems']).toEqual([
        { path: 'body', message: 'must be an object with `tasks`' },
      ]);
    });

    it('stores and queues nothing', async () => {
      const submitted = await collect(api.broker, 'jobs');
      await submit('tasks:\n  - name: no image\n', 'text/yaml');

      expect((await api.datastore.jobs.list({ page: 1, size: 10 })).totalItems).toBe(0);
      expect(submitted).toEqual([]);
    });
  });

  describe('answers hostile input with a short 400, quickly', () => {
    afterEach(expectStillHealthy);

    /** The review's shape: anchors whose aliases multiply on expansion, `tasks` aliases of a task with `pre` aliases. */
    function aliasBomb(taskAliases: number): string {
      const env = Array.from({ length: 10 }, (_, i) => `K${i}: v${i}`).join(', ');
      const pre = [`&p {image: a, env: {${env}}}`, ...Array.from({ length: 999 }, () => '*p')].join(', ');
      const tasks = [`&t {image: a, pre: [${pre}]}`, ...Array.from({ length: taskAliases }, () => '*t')];
      return `tasks: [${tasks.join(', ')}]\n`;
    }

    /**
     * Submits, and checks the answer is a 400 under 64 KiB; returns its problems. The time bound
     * catches an input that holds a request for minutes (an alias bomb expands without bound), not a
     * speed goal: the largest bodies here take about 1 s with a load average of 20 on two cores, 2 s at 30.
     */
    async function rejected(body: string, contentType: string): Promise<{ path: string; message: string }[]> {
      const began = performance.now();
      const response = await submit(body, contentType);
      expect(performance.now() - began).toBeLessThan(15_000);
      expect(response.statusCode).toBe(400);
      expect(Buffer.byteLength(response.body)).toBeLessThan(64 * 1024);
      return json(response.body)['problems'] as { path: string; message: string }[];
    }

    it('YAML anchors and aliases: a 20 KB alias bomb and a 1 MiB one', async () => {
      for (const bomb of [aliasBomb(3999), aliasBomb(258_000)]) {
        expect(bomb.length).toBeLessThan(1024 * 1024);
        const problems = await rejected(bomb, 'text/yaml');

        expect(problems).toEqual([
          {
            path: 'body',
            message:
              'YAML anchors and aliases are not accepted (found &p before line 1): write the value out',
          },
        ]);
      }
      expect((await api.datastore.jobs.list({ page: 1, size: 10 })).totalItems).toBe(0);
    });

    it('a 1 MiB JSON body of 74,800 tasks', async () => {
      const body = JSON.stringify({ tasks: Array.from({ length: 74_800 }, () => ({ image: 'a' })) });

      expect(await rejected(body, 'application/json')).toEqual([
        { path: 'tasks', message: 'must have at most 1000 items' },
      ]);
    });

    it('1 MiB of bad env keys in one task: the one limit it breaks', async () => {
      const env = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`bad-${i}`, 'v']));
      const body = JSON.stringify({ tasks: [{ image: 'a', env }] });
      expect(body.length).toBeGreaterThan(900 * 1024);

      expect(await rejected(body, 'application/json')).toEqual([
        { path: 'tasks[0].env', message: 'must have at most 256 keys' },
      ]);
    });

    it('1 MiB of bad env keys within the limits: 50 problems, then how many more', async () => {
      const env = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`b-${i}`, 'v']));
      const body = JSON.stringify({ tasks: Array.from({ length: 300 }, () => ({ image: 'a', env })) });
      expect(body.length).toBeGreaterThan(800 * 1024);
      const problems = await rejected(body, 'application/json');

      expect(problems).toHaveLength(51);
      expect(problems.at(-1)).toEqual({ path: 'body', message: 'and 76750 more problems' });
    });

    it("RabbitMQ's reserved amq. prefix and a timeout past 168h", async () => {
      const problems = await rejected(
        'tasks:\n  - image: a\n    queue: amq.x\n  - image: b\n    timeout: 600h\n',
        'text/yaml',
      );

      expect(problems).toEqual([
        { path: 'tasks[0].queue', message: '"amq.x" is reserved by the engine' },
        { path: 'tasks[1].timeout', message: 'must be at most 168h' },
      ]);
    });
  });

  it('accepts only the allowed queues when given a policy', async () => {
    await api.app.close();
    api = await startTestApi({ jobSpecPolicy: { allowedQueues: ['default', 'transcoding'] } });

    const allowed = await submit('tasks:\n  - image: a\n    queue: transcoding\n  - image: b\n', 'text/yaml');
    const other = await submit('tasks:\n  - image: a\n    queue: zzz\n', 'text/yaml');

    expect(allowed.statusCode).toBe(200);
    expect(other.statusCode).toBe(400);
    expect(json(other.body)['problems']).toEqual([
      { path: 'tasks[0].queue', message: '"zzz" is not one of the allowed queues (default, transcoding)' },
    ]);
  });

  describe('rejects other media types with 415', () => {
    afterEach(expectStillHealthy);

    it('text/plain', async () => {
      const response = await submit(HELLO_YAML, 'text/plain');

      expect(response.statusCode).toBe(415);
      expect(json(response.body)).toEqual({
        error: 'unsupported content type "text/plain": use application/json, text/yaml or application/x-yaml',
      });
    });

    it('a form, as curl -d sends without -H', async () => {
      const response = await submit('name=x', 'application/x-www-form-urlencoded');

      expect(response.statusCode).toBe(415);
      expect(json(response.body)['error']).toMatch(
        /^unsupported content type "application\/x-www-form-urlencoded"/,
      );
    });

    it('no content type', async () => {
      const response = await submit(HELLO_YAML);

      expect(response.statusCode).toBe(415);
      expect(json(response.body)).toEqual({
        error: 'missing content type: use application/json, text/yaml or application/x-yaml',
      });
    });

    it('no content type and no body', async () => {
      const response = await api.app.inject({ method: 'POST', url: '/job' });

      expect(response.statusCode).toBe(415);
    });
  });

  describe('rejects a body over the limit with 413', () => {
    it('the configured limit', async () => {
      await api.app.close();
      api = await startTestApi({ bodyLimit: 1024 });
      const big = `${HELLO_YAML}# ${'x'.repeat(2048)}\n`;

      const response = await submit(big, 'text/yaml');

      expect(response.statusCode).toBe(413);
      expect(json(response.body)).toEqual({ error: 'request body is larger than 1024 bytes' });
      await expectStillHealthy();
      expect((await submit(HELLO_YAML, 'text/yaml')).statusCode).toBe(200);
    });

    it('1 MiB by default', async () => {
      const big = `${HELLO_YAML}# ${'x'.repeat(1024 * 1024)}\n`;

      const response = await submit(big, 'text/yaml');

      expect(response.statusCode).toBe(413);
      expect(json(response.body)).toEqual({ error: 'request body is larger than 1048576 bytes' });
      await expectStillHealthy();
    });
  });

  it('answers 200 for a job stored while the broker is down: the scheduler sweep queues it later', async () => {
    await api.broker.close();

    const response = await submit(HELLO_YAML, 'text/yaml');

    expect(response.statusCode).toBe(200);
    const { id } = json(response.body) as { id: string };
    expect(await api.datastore.jobs.get(id)).toMatchObject({ state: 'PENDING' });
  });

  it('answers 500 without details when the datastore fails', async () => {
    await api.datastore.close();

    const response = await submit(HELLO_YAML, 'text/yaml');

    expect(response.statusCode).toBe(500);
    expect(json(response.body)).toEqual({ error: 'internal server error' });
  });
});

describe('secrets', () => {
  const secrets = ['s3cr3t-main', 'pa55-pre', 'AKIA-post'];
  const spec = {
    name: 'with secrets',
    tasks: [
      {
        image: 'alpine',
        run: 'echo $MY_SECRET',
        env: { MY_SECRET: secrets[0], PLAIN: 'visible' },
        pre: [{ image: 'alpine', env: { db_password: secrets[1] } }],
        post: [{ image: 'alpine', env: { AWS_ACCESS_KEY_ID: secrets[2] } }],
      },
    ],
  };

  function expectNoSecret(body: string): void {
    for (const secret of secrets) expect(body).not.toContain(secret);
    expect(body).toContain(REDACTED);
  }

  it('never appear in a response, even when a task prints them', async () => {
    const submitted = await submit(JSON.stringify(spec), 'application/json');
    expect(submitted.statusCode).toBe(200);
    expectNoSecret(submitted.body);
    expect(json(submitted.body)['tasks']).toMatchObject([{ env: { MY_SECRET: REDACTED, PLAIN: 'visible' } }]);

    const id = String(json(submitted.body)['id']);
    const job = await api.datastore.jobs.get(id);
    expect(job?.tasks[0]?.env?.['MY_SECRET']).toBe(secrets[0]);
    const task = await createTask(api.datastore, taskFixture(job!, 0, 1, new Date().toISOString()));
    await api.datastore.tasks.update(task.id, {
      from: ['PENDING'],
      patch: { state: 'FAILED', result: `printed ${secrets[0]}`, error: `failed with ${secrets[1]}` },
    });
    await api.datastore.jobs.update(id, {
      from: ['PENDING'],
      patch: { state: 'FAILED', error: `job failed: ${secrets[2]}` },
    });

    for (const url of [`/job/${id}`, `/jobs/${id}`]) {
      const response = await api.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expectNoSecret(response.body);
    }
    // A list shows neither task definitions nor the result or error that could hold a secret.
    const listed = await api.app.inject({ method: 'GET', url: '/jobs' });
    for (const secret of secrets) expect(listed.body).not.toContain(secret);
    const view = json((await api.app.inject({ method: 'GET', url: `/job/${id}` })).body);
    expect(view['error']).toBe(`job failed: ${REDACTED}`);
    expect(view['execution']).toMatchObject([
      { result: `printed ${REDACTED}`, error: `failed with ${REDACTED}` },
    ]);
  });
});

describe('secrets by key name and in URLs', () => {
  it('masks API_TOKEN, GITHUB_TOKEN and the password of DATABASE_URL in every view', async () => {
    const env = {
      API_TOKEN: 'tok-123',
      GITHUB_TOKEN: 'ghp-456',
      DATABASE_URL: 'postgres://app:hunter2@db:5432/app',
      INTRO: 'hello',
    };
    const submitted = await submit(JSON.stringify({ tasks: [{ image: 'a', env }] }), 'application/json');
    const id = String(json(submitted.body)['id']);

    for (const body of [submitted.body, (await api.app.inject({ method: 'GET', url: `/jobs/${id}` })).body]) {
      expect(body).not.toMatch(/tok-123|ghp-456|hunter2/);
      expect(json(body)['tasks']).toEqual([
        {
          image: 'a',
          env: {
            API_TOKEN: REDACTED,
            GITHUB_TOKEN: REDACTED,
            DATABASE_URL: `postgres://app:${REDACTED}@db:5432/app`,
            INTRO: 'hello',
          },
        },
      ]);
    }
  });

  it('follows the key patterns it is given instead of the default ones', async () => {
    await api.app.close();
    api = await startTestApi({ secretPolicy: new SecretPolicy(['PIN']) });

    const submitted = await submit(
      'tasks:\n  - image: a\n    env: {CARD_PIN: "4321", API_TOKEN: t}\n',
      'text/yaml',
    );

    expect(json(submitted.body)['tasks']).toEqual([
      { image: 'a', env: { CARD_PIN: REDACTED, API_TOKEN: 't' } },
    ]);
  });
});

describe('secrets with an encryption key', () => {
  const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);

  it('are encrypted before the job is stored, and shown redacted; the API never decrypts', async () => {
    await api.app.close();
    api = await startTestApi({ keyring });
    const env = { MY_PASSWORD: 'hunter2', DATABASE_URL: 'postgres://u:pw-in-url@db/x', INTRO: 'hello' };

    const submitted = await submit(JSON.stringify({ tasks: [{ image: 'a', env }] }), 'application/json');

    expect(submitted.statusCode).toBe(200);
    const id = String(json(submitted.body)['id']);
    const stored = await api.datastore.jobs.get(id);
    expect(JSON.stringify(stored)).not.toMatch(/hunter2|pw-in-url/);
    expect(stored?.tasks[0]?.env?.['MY_PASSWORD']).toMatch(/^enc:v1:k1:/);
    expect(keyring.decrypt(stored?.tasks[0]?.env?.['MY_PASSWORD'] ?? '')).toBe('hunter2');
    expect(stored?.tasks[0]?.env?.['INTRO']).toBe('hello');
    const view = (await api.app.inject({ method: 'GET', url: `/jobs/${id}` })).body;
    expect(json(view)['tasks']).toEqual([
      { image: 'a', env: { MY_PASSWORD: REDACTED, DATABASE_URL: REDACTED, INTRO: 'hello' } },
    ]);
    expect(view).not.toContain('enc:v1:');
  });
});

/** Stores one execution; answers the stored one. */
async function createTask(datastore: Datastore, task: Task): Promise<Task> {
  const [stored] = await datastore.tasks.create([task]);
  if (stored === undefined) throw new Error('not stored');
  return stored;
}
