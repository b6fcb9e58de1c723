import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { describeWithService, dockerAvailable, startTork, waitForJob, type TorkProcess } from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The seed README's hello.yaml, byte for byte; `ubuntu:mantic` is a local stand-in image (tools/test-images.sh).
const HELLO_YAML = `# hello.yaml
---
name: hello job
tasks:
  - name: say hello
    image: ubuntu:mantic
    run: |
      echo -n hello world
`;

const docker = await dockerAvailable();

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('standalone mode end to end', () => {
  let tork: TorkProcess;

  beforeAll(async () => {
    tork = await startTork(['-mode', 'standalone']);
  });

  afterAll(async () => {
    expect(await tork.stop()).toBe(0);
    expect(leftoverContainers(tork.port)).toEqual([]);
  });

  async function post(body: string, contentType: string, path = '/job'): Promise<Response> {
    return fetch(`${tork.baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': contentType },
    });
  }

  it('runs the seed hello world: POST /job with text/yaml, then GET /job/{id}', async () => {
    const response = await post(HELLO_YAML, 'text/yaml');
    expect(response.status).toBe(200);
    const submitted = (await response.json()) as {
      id: string;
      name: string;
      state: string;
      createdAt: string;
      tasks: unknown[];
    };
    expect(submitted.id).toMatch(/^[0-9a-f]{32}$/);
    expect(submitted).toMatchObject({
      name: 'hello job',
      state: 'PENDING',
      tasks: [{ name: 'say hello', image: 'ubuntu:mantic' }],
    });
    expect(Number.isNaN(Date.parse(submitted.createdAt))).toBe(false);

    await waitForJob(tork.baseUrl, submitted.id);
    const job = (await (await fetch(`${tork.baseUrl}/job/${submitted.id}`)).json()) as Awaited<
      ReturnType<typeof waitForJob>
    >;
    expect(job.state).toBe('COMPLETED');
    expect(job.execution[0]?.state).toBe('COMPLETED');
    expect(job.execution[0]?.result).toBe('hello world');
  });

  it("runs the seed's JSON example", async () => {
    const body = JSON.stringify({
      name: 'sample job',
      tasks: [{ name: 'sample task', image: 'ubuntu:mantic', run: 'echo hello world' }],
    });
    const response = await post(body, 'application/json');
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('COMPLETED');
    expect(job.execution[0]?.result).toBe('hello world\n');
  });

  it('fails a job whose second task exits 3: the first result stays, the third never starts', async () => {
    const yaml = `
name: three steps
tasks:
  - name: first
    image: ubuntu:mantic
    run: echo -n first result
  - name: second
    image: ubuntu:mantic
    run: |
      echo about to fail
      exit 3
  - name: third
    image: ubuntu:mantic
    run: echo -n never
`;
    const { id } = (await (await post(yaml, 'application/x-yaml', '/jobs')).json()) as { id: string };
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('FAILED');
    expect(job.error).toContain('exit code 3');
    expect(job.error).toContain('about to fail');
    expect(job.execution.map((task) => [task.name, task.state])).toEqual([
      ['first', 'COMPLETED'],
      ['second', 'FAILED'],
    ]);
    expect(job.execution[0]?.result).toBe('first result');
    expect(job.execution[1]?.error).toContain('exit code 3');
  });

  it('fails a task whose image does not exist, with the engine message', async () => {
    const yaml = 'name: no image\ntasks:\n  - name: t\n    image: tork/does-not-exist:1\n    run: echo hi\n';
    const { id } = (await (await post(yaml, 'text/yaml')).json()) as { id: string };
    const job = await waitForJob(tork.baseUrl, id);
    expect(job.state).toBe('FAILED');
    expect(job.execution[0]?.error).toContain('tork/does-not-exist:1');
  });

  it('answers every kind of bad input with a clear error and stays healthy', async () => {
    const missingImage = await post('name: j\ntasks:\n  - name: t\n    run: echo\n', 'text/yaml');
    expect(missingImage.status).toBe(400);
    const missingBody = (await missingImage.json()) as {
      error: string;
      problems: { path: string; message: string }[];
    };
    expect(missingBody.problems).toContainEqual({ path: 'tasks[0].image', message: 'required' });

    const several = await post(
      JSON.stringify({ name: 1, tasks: [{ image: 'x', colour: 'red' }, { run: 5 }] }),
      'application/json',
    );
    expect(several.status).toBe(400);
    const severalBody = (await several.json()) as { error: string; problems: { path: string }[] };
    expect(severalBody.problems.map((problem) => problem.path).sort()).toEqual(
      ['name', 'tasks[0].colour', 'tasks[1].image', 'tasks[1].run'].sort(),
    );
    expect(severalBody.error).toContain('tasks[0].colour: unknown field');

    const malformed = await post('name: [unclosed\ntasks: {', 'text/yaml');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toContain('malformed YAML');

    const wrongType = await post('hello', 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as { error: string }).error).toContain('text/plain');

    expect(await postOversized(`${tork.baseUrl}/job`, 2 * 1024 * 1024)).toBe(413);

    const unknown = await fetch(`${tork.baseUrl}/job/0123456789abcdef0123456789abcdef`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('not found');

    const health = await fetch(`${tork.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('UP');
  });
});

/** Containers the engine started (they carry the tork.task label) that still exist. */
/** This engine's containers (other test files run engines on the same Docker engine at the same time). */
function leftoverContainers(port: number): string[] {
  const out = execFileSync(
    'docker',
    ['ps', '-a', '--filter', `label=tork.standalone=${port}`, '--format', '{{.Names}}'],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter((line) => line !== '');
}

/**
 * Declares a body over the API's limit and sends only its first bytes: the API answers 413 from the
 * header, before reading the body. (Sending the whole body races the API closing the connection
 * after its answer, and the client then sees EPIPE instead of the 413.)
 */
function postOversized(url: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
        request.destroy();
      },
    );
    request.on('error', reject);
    request.write('{"tasks":[');
  });
}
