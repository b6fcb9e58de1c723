import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import {
  Cluster,
  describeWithDistributedServices,
  isolatedServices,
  postgresTestDsn,
  rabbitMqTestUrl,
  waitForJob,
  type IsolatedServices,
  type JobBody,
} from '@tork/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';

const run = promisify(execFile);
const describeDistributed = await describeWithDistributedServices({ docker: true });

// Fast liveness so that a dead worker is noticed in seconds, not the production 15 s. The APIs run
// without a rate limit: (e) floods them with 200 submissions from one address on purpose.
const FAST = {
  worker: ['-heartbeat-interval', '500ms', '-queue', 'default:4'],
  scheduler: ['-dead-worker-after', '2s'],
  api: ['-rate-limit', '0'],
} as const;

describeDistributed('distributed mode under faults', () => {
  let services: IsolatedServices;
  let cluster: Cluster;

  beforeEach(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    cluster = new Cluster(services, FAST);
    await cluster.migrate();
  });

  afterEach(async () => {
    await cluster.killAll();
    await services.remove();
  });

  async function submit(apiIndex: number, yaml: string): Promise<string> {
    const api = cluster.of('api')[apiIndex] ?? cluster.of('coordinator')[apiIndex];
    if (api === undefined) throw new Error('no API process');
    const response = await fetch(`${api.baseUrl}/jobs`, {
      method: 'POST',
      body: yaml,
      headers: { 'Content-Type': 'text/yaml' },
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 200 || body.id === undefined)
      throw new Error(`submit: ${response.status} ${JSON.stringify(body)}`);
    return body.id;
  }

  function baseUrl(): string {
    const api = cluster.of('api')[0];
    if (api === undefined) throw new Error('no API process');
    return api.baseUrl;
  }

  /**
   * Waits for the jobs one after another under one deadline: a poll per job at once (200 of them, each
   * every 50 ms) takes the CPU from the very processes running the jobs. An ended job answers at once.
   */
  async function allDone(ids: readonly string[], timeoutMs = 90_000): Promise<JobBody[]> {
    const deadline = Date.now() + timeoutMs;
    try {
      const jobs: JobBody[] = [];
      for (const id of ids)
        jobs.push(
          await waitForJob(
            baseUrl(),
            id,
            ['COMPLETED', 'FAILED', 'CANCELLED'],
            Math.max(0, deadline - Date.now()),
          ),
        );
      return jobs;
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${cluster.output().slice(-8000)}`);
    }
  }

  it('(a) runs a task again when every worker is killed mid-task, once a new worker comes', async () => {
    await cluster.start('api');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const id = await submit(
      0,
      'name: survivor\ntasks:\n  - name: slow\n    image: ubuntu:mantic\n    run: sleep 3; echo -n survived\n',
    );
    const running = await waitForJob(baseUrl(), id, ['RUNNING'], 30_000);
    const firstAttempt = running.execution[0]!.id;
    await cluster.killAll('worker');
    await cluster.start('worker');
    const [job] = await allDone([id]);
    expect(job?.state).toBe('COMPLETED');
    expect(job?.execution.map((task) => [task.attempt, task.state])).toEqual([
      [1, 'FAILED'],
      [2, 'COMPLETED'],
    ]);
    expect(job?.execution[0]?.error).toContain('stopped responding');
    expect(job?.execution[1]?.result).toBe('survived');
    // the container the killed worker left behind is removed by the survivor (eventually: a loaded
    // engine has been seen to take over 15 s here)
    await expect
      .poll(() => docker('ps', '-a', '--filter', `label=tork.task=${firstAttempt}`, '--format', '{{.ID}}'), {
        timeout: 45_000,
      })
      .toEqual([]);
  });

  it('(b) completes every job exactly once with two schedulers and two APIs when one scheduler is killed mid-run', async () => {
    await cluster.start('api');
    await cluster.start('api');
    const [doomed] = [await cluster.start('scheduler')];
    await cluster.start('scheduler');
    await cluster.start('worker');
    const yaml = (i: number): string =>
      `name: job ${i}\ntasks:\n${[1, 2, 3].map((n) => `  - name: step ${n}\n    image: ubuntu:mantic\n    run: echo -n ${i}-${n}\n`).join('')}`;
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(i % 2, yaml(i))));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await doomed.kill();
    const jobs = await allDone(ids);
    expect(jobs.map((job) => job.state)).toEqual(ids.map(() => 'COMPLETED'));
    for (const [i, job] of jobs.entries()) {
      // exactly once: one execution per task, each completed with its own result
      expect(job.execution.map((task) => [task.state, task.result])).toEqual([
        ['COMPLETED', `${i}-1`],
        ['COMPLETED', `${i}-2`],
        ['COMPLETED', `${i}-3`],
      ]);
    }
  });

  it('(c) completes every job when RabbitMQ restarts with jobs in flight', async () => {
    await cluster.start('api');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const ids = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        submit(
          0,
          `name: j${i}\ntasks:\n  - image: ubuntu:mantic\n    run: sleep 1; echo -n a${i}\n  - image: ubuntu:mantic\n    run: echo -n b${i}\n`,
        ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await run('rabbitmqctl', ['stop_app']);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await run('rabbitmqctl', ['start_app']);
    const jobs = await allDone(ids);
    expect(jobs.map((job) => job.state)).toEqual(ids.map(() => 'COMPLETED'));
    expect(jobs.map((job) => job.result)).toEqual(ids.map((_, i) => `b${i}`));
  });

  it('(d) continues from PostgreSQL when every process stops and starts again', async () => {
    await cluster.start('api');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const ids = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        submit(
          0,
          `name: j${i}\ntasks:\n  - image: ubuntu:mantic\n    run: sleep 0.5; echo -n a${i}\n  - image: ubuntu:mantic\n    run: sleep 0.5; echo -n b${i}\n`,
        ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 800));
    const codes = await cluster.stopAll();
    expect(codes.every((code) => code === 0)).toBe(true);
    const restarted = new Cluster(services, FAST);
    cluster = restarted;
    await cluster.start('api');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const jobs = await allDone(ids);
    expect(jobs.map((job) => job.state)).toEqual(ids.map(() => 'COMPLETED'));
    expect(jobs.map((job) => job.result)).toEqual(ids.map((_, i) => `b${i}`));
  });

  it('(f) runs a task whose worker was killed after taking it and before reporting its start', async () => {
    await cluster.start('api');
    await cluster.start('scheduler');
    // A test-only hook: this worker SIGKILLs itself as soon as a task arrives.
    const doomed = await cluster.start('worker', { TORK_TEST_ONLY_KILL_ON_TASK: '1' });
    const id = await submit(
      0,
      'name: stranded\ntasks:\n  - image: ubuntu:mantic\n    run: echo -n survived\n',
    );
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) await once(doomed.child, 'exit');
    expect(doomed.child.signalCode).toBe('SIGKILL');
    // The delivery was never acknowledged: RabbitMQ gives it to the next worker, long before the
    // scheduler's -scheduled-timeout (5 min) would send it again.
    await cluster.start('worker');
    const [job] = await allDone([id], 60_000);
    expect(job?.state).toBe('COMPLETED');
    expect(job?.result).toBe('survived');
    expect(job?.execution.map((task) => [task.attempt, task.state])).toEqual([[1, 'COMPLETED']]);
  });

  it('(e) turns 200 submissions spread over two APIs into 200 distinct completed jobs', async () => {
    await cluster.start('api');
    await cluster.start('api');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        submit(i % 2, `name: n${i}\ntasks:\n  - image: ubuntu:mantic\n    run: echo -n ${i}\n`),
      ),
    );
    expect(new Set(ids).size).toBe(200);
    const jobs = await allDone(ids, 120_000);
    expect(jobs.filter((job) => job.state === 'COMPLETED')).toHaveLength(200);
    expect(jobs.map((job) => job.result)).toEqual(ids.map((_, i) => String(i)));
    const listed = (await (await fetch(`${baseUrl()}/jobs?size=1`)).json()) as { totalItems: number };
    expect(listed.totalItems).toBe(200);
  });
});

function docker(...args: string[]): string[] {
  return execFileSync('docker', args, { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}
