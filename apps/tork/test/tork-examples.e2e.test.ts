import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeWithDistributedServices,
  describeWithTorkExamples,
  ENGINE_MODES,
  startEngine,
  waitForJob,
  type Engine,
} from '@tork/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const describeDistributed = await describeWithDistributedServices({ docker: true });

interface Execution {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly error?: string;
  readonly result?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
}

interface JobView {
  readonly state: string;
  readonly result?: string;
  readonly error?: string;
  readonly context: { readonly tasks: Readonly<Record<string, string>> };
  readonly execution: readonly Execution[];
}

interface Answer {
  readonly status: number;
  readonly body: {
    readonly id?: string;
    readonly error?: string;
    readonly problems?: readonly { path: string }[];
  };
}

// Tork's published example jobs, as published (read from beside the clone, never copied into it),
// against the real Docker engine, in both modes.
describeWithTorkExamples("Tork's example jobs", (examples) => {
  describeDistributed('against the engine', () => {
    describe.each(ENGINE_MODES)('%s', (mode) => {
      let engine: Engine;

      beforeAll(async () => {
        engine = await startEngine(mode, { workerFlags: ['-queue', 'default:6'] });
      }, 120_000);

      afterAll(async () => {
        await engine.stop();
      });

      async function post(example: string): Promise<Answer> {
        const response = await fetch(`${engine.baseUrl}/jobs`, {
          method: 'POST',
          body: await readFile(join(examples, example), 'utf8'),
          headers: { 'content-type': 'text/yaml' },
        });
        return { status: response.status, body: (await response.json()) as Answer['body'] };
      }

      async function run(example: string, timeoutMs = 60_000): Promise<JobView> {
        const answer = await post(example);
        const id = answer.body.id;
        if (answer.status !== 200 || id === undefined)
          throw new Error(`${example} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        await waitForJob(engine.baseUrl, id, ['COMPLETED', 'FAILED', 'CANCELLED'], timeoutMs);
        return (await (await fetch(`${engine.baseUrl}/jobs/${id}`)).json()) as JobView;
      }

      const overlap = (tasks: readonly Execution[]): boolean => {
        const lastStart = Math.max(...tasks.map((task) => Date.parse(task.startedAt ?? '')));
        const firstEnd = Math.min(...tasks.map((task) => Date.parse(task.completedAt ?? '')));
        return lastStart < firstEnd;
      };

      it('hello.yaml: the job result is "hello world"', async () => {
        expect(await run('hello.yaml')).toMatchObject({ state: 'COMPLETED', result: 'hello world' });
      });

      it("each.yaml: every item's var in the context, with the default and a custom loop variable", async () => {
        const job = await run('each.yaml');
        expect(job.state).toBe('COMPLETED');
        // `sequence(1,5)` is 1 to 4: its end is exclusive, as in Tork.
        expect(job.context.tasks).toEqual({ eachTask0: '1', eachTask1: '2', eachTask2: '3', eachTask3: '4' });
      });

      it('parallel.yaml: the children run at once, then the last task', async () => {
        const job = await run('parallel.yaml');
        expect(job.state).toBe('COMPLETED');
        const children = job.execution.filter((task) =>
          ['sleep for .5 second', 'fast task 1'].includes(task.name ?? ''),
        );
        expect(children).toHaveLength(2);
        expect(overlap(children)).toBe(true);
        expect(job.execution.at(-1)).toMatchObject({ name: 'bye task', state: 'COMPLETED' });
      });

      it("subjob.yaml: the sub-job's output is its task's var", async () => {
        const job = await run('subjob.yaml');
        expect(job.state).toBe('COMPLETED');
        expect(job.context.tasks['subJobOutput']).toBe('data');
      });

      it('job_output.yaml: the job result is "hello <n>"', async () => {
        const job = await run('job_output.yaml');
        expect(job.state).toBe('COMPLETED');
        expect(job.result).toMatch(/^hello \d+$/);
      });

      it("slow.yaml: the each's items overlap on a worker with more than one slot", async () => {
        const job = await run('slow.yaml');
        expect(job.state).toBe('COMPLETED');
        const sleepers = job.execution.filter((task) => task.name === 'sleep a little');
        expect(sleepers).toHaveLength(4);
        expect(overlap(sleepers)).toBe(true);
      }, 60_000);

      it('timeout.yaml: the task is stopped at 5 s and the job fails saying so', async () => {
        const job = await run('timeout.yaml');
        expect(job.state).toBe('FAILED');
        const [task] = job.execution;
        expect(task?.state).toBe('FAILED');
        expect(task?.error).toMatch(/timed out/);
        const ranFor = Date.parse(task?.failedAt ?? '') - Date.parse(task?.startedAt ?? '');
        expect(ranFor).toBeGreaterThanOrEqual(5_000);
        expect(ranFor).toBeLessThan(10_000);
      }, 60_000);

      it('job_defaults.yaml is refused naming `cpu` (the field is `cpus`), as Tork refuses it', async () => {
        const answer = await post('job_defaults.yaml');
        expect(answer.status).toBe(400);
        expect(JSON.stringify(answer.body)).toContain('cpu');
        expect(answer.body.problems?.map((detail) => detail.path)).toContain('defaults.limits.cpu');
      });

      it('prepost.yaml: the pre task writes into the shared volume mount, the task reads it', async () => {
        const job = await run('prepost.yaml');
        expect(job.state).toBe('COMPLETED');
        expect(job.execution[0]).toMatchObject({ state: 'COMPLETED', result: 'im a pre task\n' });
      });

      it('retry.yaml: the coin flip runs through bash, at most three times, and ends as its last flip', async () => {
        const job = await run('retry.yaml');
        const attempts = job.execution;
        expect(attempts.length).toBeGreaterThanOrEqual(1);
        expect(attempts.length).toBeLessThanOrEqual(3);
        const last = attempts.at(-1)!;
        // Each attempt's result is its flip; every one before the last was tails.
        for (const attempt of attempts.slice(0, -1)) expect(attempt.state).toBe('FAILED');
        if (job.state === 'COMPLETED') expect(last).toMatchObject({ state: 'COMPLETED', result: 'heads' });
        else {
          expect(job.state).toBe('FAILED');
          expect(attempts).toHaveLength(3);
          expect(last.error).toContain('exit code 1');
        }
      });
    });
  });
});
