import { execFileSync } from 'node:child_process';
import {
  describeWithService,
  dockerAvailable,
  startTork,
  waitForJob,
  type JobBody,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const docker = await dockerAvailable();

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('task execution in standalone mode', () => {
  let tork: TorkProcess;

  beforeAll(async () => {
    tork = await startTork([
      '-queue',
      'default:4',
      '-queue',
      'transcoding:2',
      '--default-memory-limit',
      '256m',
      '--temp-dir',
      '/tmp',
    ]);
  });

  afterAll(async () => {
    expect(await tork.stop()).toBe(0);
    // What this engine created carries its port (other test files run engines at the same time).
    const own = `label=tork.standalone=${tork.port}`;
    expect(docker_('ps', '-a', '--filter', own, '--format', '{{.Names}}')).toEqual([]);
    expect(docker_('volume', 'ls', '--filter', own, '--format', '{{.Name}}')).toEqual([]);
  });

  async function submit(yaml: string): Promise<string> {
    const response = await fetch(`${tork.baseUrl}/jobs`, {
      method: 'POST',
      body: yaml,
      headers: { 'Content-Type': 'text/yaml' },
    });
    const body = (await response.json()) as { id?: string; error?: string };
    if (response.status !== 200 || body.id === undefined)
      throw new Error(`submit failed: ${response.status} ${JSON.stringify(body)}`);
    return body.id;
  }

  async function put(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${tork.baseUrl}${path}`, { method: 'PUT' });
    return { status: response.status, body: await response.json() };
  }

  async function logText(taskId: string): Promise<string> {
    const response = await fetch(`${tork.baseUrl}/tasks/${taskId}/log?size=100`);
    const page = (await response.json()) as { items: { text: string }[] };
    return page.items.map((item) => item.text).join('');
  }

  it("runs the seed's convert.yaml shape: pre writes into the shared volume, the task transforms, post reads", async () => {
    const id = await submit(`
name: convert a file
tasks:
  - name: convert the file
    image: alpine:3.18.3
    run: |
      tr 'a-z' 'A-Z' < /tmp/input.txt > /tmp/output.txt
      echo -n converted
    volumes:
      - /tmp
    pre:
      - name: download the file
        image: alpine:3.18.3
        run: echo big buck bunny > /tmp/input.txt
    post:
      - name: upload the converted file
        image: alpine:3.18.3
        run: cat /tmp/output.txt
`);
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('COMPLETED');
    const [task] = job.execution as (JobBody['execution'][number] & {
      steps: { kind: string; name: string; state: string }[];
    })[];
    expect(task?.result).toBe('converted');
    expect(task?.steps.map((step) => [step.kind, step.name, step.state])).toEqual([
      ['pre', 'download the file', 'COMPLETED'],
      ['main', 'convert the file', 'COMPLETED'],
      ['post', 'upload the converted file', 'COMPLETED'],
    ]);
    await expect.poll(() => logText(task!.id)).toContain('BIG BUCK BUNNY');
  });

  it('passes env to the container and never shows a secret value', async () => {
    const secret = 'correct-horse-battery-staple';
    const id = await submit(`
name: print a message
tasks:
  - name: print
    image: ubuntu:mantic
    env:
      INTRO: hello world
      MY_ACCESS_KEY: ${secret}
    run: |
      echo $INTRO
      echo "the key is $MY_ACCESS_KEY"
      echo -n "\${#MY_ACCESS_KEY}" > $TORK_OUTPUT
`);
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('COMPLETED');
    // The container saw the real value: its length is the result.
    expect(job.execution[0]?.result).toBe(String(secret.length));
    expect(job.execution[0]?.env).toEqual({ INTRO: 'hello world', MY_ACCESS_KEY: '[REDACTED]' });
    const raw = await (await fetch(`${tork.baseUrl}/jobs/${id}`)).text();
    expect(raw).not.toContain(secret);
    await expect.poll(() => logText(job.execution[0]!.id)).toContain('the key is [REDACTED]');
    expect(await logText(job.execution[0]!.id)).toContain('hello world');
    expect(JSON.stringify(await (await fetch(`${tork.baseUrl}/jobs`)).json())).not.toContain(secret);
    expect(tork.output()).not.toContain(secret);
  });

  it('never shows a secret printed in two halves with a pause between, nor an API_TOKEN', async () => {
    const id = await submit(`
name: split secret
tasks:
  - name: print in halves
    image: ubuntu:mantic
    env:
      MY_PASSWORD: hunter2
      API_TOKEN: tok-split-123
    run: |
      printf hunt; sleep .3; printf er2
      echo
      echo "token $API_TOKEN"
`);
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('COMPLETED');
    const taskId = job.execution[0]!.id;
    await expect.poll(() => logText(taskId)).toContain('token [REDACTED]');
    const pages = await (await fetch(`${tork.baseUrl}/tasks/${taskId}/log?size=100`)).text();
    expect(pages).not.toContain('hunter2');
    expect(pages).not.toContain('hunt');
    expect(await logText(taskId)).toBe('[REDACTED]\ntoken [REDACTED]\n');
    expect(job.execution[0]?.result).toBe('[REDACTED]\ntoken [REDACTED]\n');
    expect(job.execution[0]?.env).toEqual({ MY_PASSWORD: '[REDACTED]', API_TOKEN: '[REDACTED]' });
  });

  it('stops a task over its memory limit and says so', async () => {
    const id = await submit(`
name: memory hog
tasks:
  - name: allocate 64 MB
    image: ubuntu:mantic
    run: head -c 67108864 /dev/zero | tail
    limits:
      cpus: .5
      memory: 10m
`);
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('FAILED');
    expect(job.error).toContain('out of memory');
    expect(job.error).toContain('10m');
  });

  it('ends a task at its timeout, in seconds', async () => {
    const begin = Date.now();
    const id = await submit(
      'name: slow\ntasks:\n  - name: sleep\n    image: ubuntu:mantic\n    run: sleep 30\n    timeout: 1s\n',
    );
    const job = await waitForJob(tork.baseUrl, id);
    expect(Date.now() - begin).toBeLessThan(10_000);
    expect(job.state).toBe('FAILED');
    expect(job.execution[0]?.error).toBe('timed out after 1s');
  });

  it('retries a failing task: retry.limit 2 shows three attempts, then FAILED', async () => {
    const id = await submit(`
name: flaky
tasks:
  - name: always fails
    image: ubuntu:mantic
    run: echo failing; exit 1
    retry:
      limit: 2
      initialDelay: 200ms
      scalingFactor:
`);
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('FAILED');
    expect(job.execution.map((task) => [task.attempt, task.state])).toEqual([
      [1, 'FAILED'],
      [2, 'FAILED'],
      [3, 'FAILED'],
    ]);
    expect(job.execution.every((task) => task.error === 'exit code 1: failing')).toBe(true);
    // attempt 3 waited 200ms × 2: the default scaling factor
    expect(
      Date.parse(job.execution[2]!.startedAt!) - Date.parse(job.execution[1]!.failedAt!),
    ).toBeGreaterThanOrEqual(400);
  });

  it('cancels a running task: 200 OK, its container is gone within seconds, task and job CANCELLED', async () => {
    const id = await submit(
      'name: long\ntasks:\n  - name: sleep\n    image: ubuntu:mantic\n    run: sleep 30\n  - name: never\n    image: ubuntu:mantic\n    run: echo never\n',
    );
    const running = await waitForJob(tork.baseUrl, id, ['RUNNING']);
    const taskId = running.execution[0]!.id;
    await expect
      .poll(() => docker_('ps', '--filter', `label=tork.task=${taskId}`, '--format', '{{.Names}}').length)
      .toBe(1);
    const begin = Date.now();
    expect(await put(`/task/${taskId}/cancel`)).toEqual({ status: 200, body: { status: 'OK' } });
    await expect
      .poll(() => docker_('ps', '-a', '--filter', `label=tork.task=${taskId}`, '--format', '{{.Names}}'), {
        timeout: 5000,
      })
      .toEqual([]);
    // Killed, not stopped with Docker's 10 s grace nor left to its 30 s sleep; about a second on an
    // idle machine, 3.3 s seen while CI ran four engines' builds beside it.
    expect(Date.now() - begin).toBeLessThan(5000);
    const job = await waitForJob(tork.baseUrl, id, ['CANCELLED']);
    expect(job.execution.map((task) => [task.name, task.state])).toEqual([['sleep', 'CANCELLED']]);
    expect(await put(`/tasks/${taskId}/cancel`)).toEqual({
      status: 400,
      body: { error: 'task is not running' },
    });
    expect((await put(`/tasks/${'f'.repeat(32)}/cancel`)).status).toBe(404);
  });

  it('cancels a whole job: the running task stops and no later task starts', async () => {
    const id = await submit(
      'name: two\ntasks:\n  - image: ubuntu:mantic\n    run: sleep 30\n  - image: ubuntu:mantic\n    run: echo never\n',
    );
    await waitForJob(tork.baseUrl, id, ['RUNNING']);
    expect(await put(`/jobs/${id}/cancel`)).toEqual({ status: 200, body: { status: 'OK' } });
    const job = await waitForJob(tork.baseUrl, id, ['CANCELLED']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await waitForJob(tork.baseUrl, id, ['CANCELLED']);
    expect(after.execution).toHaveLength(1);
    expect(job.execution[0]?.state).toBe('CANCELLED');
  });

  it('routes a task to its queue; a queue no worker serves keeps the task waiting', async () => {
    const routed = await submit(
      'name: t\ntasks:\n  - name: transcode\n    queue: transcoding\n    image: ubuntu:mantic\n    run: echo -n transcoded\n',
    );
    expect((await waitForJob(tork.baseUrl, routed)).execution[0]).toMatchObject({ result: 'transcoded' });
    const stranded = await submit(
      'name: g\ntasks:\n  - name: needs a gpu\n    queue: gpu\n    image: ubuntu:mantic\n    run: echo -n never\n',
    );
    await waitForJob(tork.baseUrl, stranded, ['SCHEDULED']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const job = await waitForJob(tork.baseUrl, stranded, ['SCHEDULED']);
    expect(job.execution[0]).toMatchObject({ state: 'SCHEDULED' });
    expect(await put(`/jobs/${stranded}/cancel`)).toEqual({ status: 200, body: { status: 'OK' } });
    await waitForJob(tork.baseUrl, stranded, ['CANCELLED']);
  });

  it('rejects bad values of every task field with their paths', async () => {
    const response = await fetch(`${tork.baseUrl}/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/yaml' },
      body: `
name: bad
tasks:
  - image: ubuntu:mantic
    queue: jobs
    timeout: soon
    limits: { cpus: lots, memory: 10x }
    retry: { limit: 11, initialDelay: 10m, scalingFactor: 20 }
    volumes: [relative/path]
    env: { 1BAD: x }
    pre: [{ run: echo }]
    post: [{ image: x, timeout: 5 }]
`,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { problems: { path: string }[] };
    expect(body.problems.map((problem) => problem.path).sort()).toEqual(
      [
        'tasks[0].queue',
        'tasks[0].timeout',
        'tasks[0].limits.cpus',
        'tasks[0].limits.memory',
        'tasks[0].retry.limit',
        'tasks[0].retry.initialDelay',
        'tasks[0].retry.scalingFactor',
        'tasks[0].volumes[0]',
        'tasks[0].env.1BAD',
        'tasks[0].pre[0].image',
        'tasks[0].post[0].timeout',
      ].sort(),
    );
  });
});

function docker_(...args: string[]): string[] {
  return execFileSync('docker', args, { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}
