import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  describeWithService,
  dockerAvailable,
  startTork,
  waitForJob,
  type ExecutionBody,
  type JobBody,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const docker = await dockerAvailable();

interface Job extends JobBody {
  readonly context: { readonly tasks: Readonly<Record<string, string>> };
  readonly execution: readonly (ExecutionBody & {
    readonly steps?: readonly { kind: string; name?: string; state: string }[];
  })[];
}

// The project's own example jobs (examples/*.yaml, documented in examples/README.md) on a standalone engine.
describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts Docker and builds the stand-in images',
)('the example jobs in examples/', () => {
  let tork: TorkProcess;

  beforeAll(async () => {
    tork = await startTork(['-mode', 'standalone', '-queue', 'default:4']);
  });

  afterAll(async () => {
    expect(await tork.stop()).toBe(0);
  });

  async function run(example: string): Promise<Job> {
    const response = await fetch(`${tork.baseUrl}/jobs`, {
      method: 'POST',
      body: await readFile(`${EXAMPLES}${example}`, 'utf8'),
      headers: { 'content-type': 'text/yaml' },
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 200 || body.id === undefined)
      throw new Error(`${example} answered ${response.status}: ${JSON.stringify(body)}`);
    await waitForJob(tork.baseUrl, body.id, ['COMPLETED', 'FAILED', 'CANCELLED'], 60_000);
    return (await (await fetch(`${tork.baseUrl}/jobs/${body.id}`)).json()) as Job;
  }

  it('hello.yaml completes with its greeting as the result', async () => {
    expect(await run('hello.yaml')).toMatchObject({
      state: 'COMPLETED',
      result: 'hello from the job engine',
    });
  });

  it('parallel.yaml runs its three checks, then the report', async () => {
    const job = await run('parallel.yaml');
    expect(job.state).toBe('COMPLETED');
    const names = job.execution.map((task) => `${task.name ?? ''}: ${task.state}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'count lines: COMPLETED',
        'checksum: COMPLETED',
        'slow check: COMPLETED',
        'checks: COMPLETED',
      ]),
    );
    expect(job.execution.at(-1)).toMatchObject({ name: 'report', state: 'COMPLETED' });
  });

  it("each.yaml keeps every item's square in the context and adds them up to 55", async () => {
    const job = await run('each.yaml');
    expect(job).toMatchObject({ state: 'COMPLETED', result: '55' });
    expect(job.context.tasks).toMatchObject({
      square0: '1',
      square1: '4',
      square2: '9',
      square3: '16',
      square4: '25',
    });
  });

  it("subjob.yaml: the sub-job's output is its task's result, read by the next task", async () => {
    const job = await run('subjob.yaml');
    expect(job).toMatchObject({ state: 'COMPLETED', result: 'published app-1.2.3.tar.gz' });
    expect(job.context.tasks['artifact']).toBe('app-1.2.3.tar.gz');
  });

  it('retry.yaml ends with its first successful attempt, every failed one before it listed', async () => {
    const job = await run('retry.yaml');
    const attempts = job.execution;
    for (const attempt of attempts.slice(0, -1))
      expect(attempt).toMatchObject({ state: 'FAILED', error: 'exit code 1: the mirror did not answer' });
    // All seven attempts fail about once in two thousand runs: then the job fails after the last.
    if (job.state === 'FAILED') expect(attempts).toHaveLength(7);
    else {
      expect(job).toMatchObject({ state: 'COMPLETED', result: 'downloaded' });
      expect(attempts.length).toBeLessThanOrEqual(7);
    }
  }, 60_000);

  it('pre-post.yaml: pre, task and post share the volume; the result is upper case', async () => {
    const job = await run('pre-post.yaml');
    expect(job).toMatchObject({ state: 'COMPLETED', result: 'QUIET WORDS' });
    expect(job.execution[0]?.steps?.map((step) => `${step.kind} ${step.name ?? ''}: ${step.state}`)).toEqual([
      'pre write the input: COMPLETED',
      'main shout: COMPLETED',
      'post check the output: COMPLETED',
    ]);
  });
});
