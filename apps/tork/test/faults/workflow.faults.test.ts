import pg from 'pg';
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

const describeDistributed = await describeWithDistributedServices({ docker: true });

const FAST = {
  worker: ['-heartbeat-interval', '500ms', '-queue', 'default:8'],
  scheduler: ['-dead-worker-after', '2s'],
  api: ['-rate-limit', '0'],
} as const;

/** One child of a composite task, as the tasks table holds it. */
interface ChildRow {
  readonly index: number;
  readonly attempt: number;
  readonly state: string;
  readonly result: string | null;
}

// Composite tasks (each, parallel) survive a scheduler or a worker killed with SIGKILL mid-run.
describeDistributed('the task tree under faults (distributed)', () => {
  let services: IsolatedServices;
  let cluster: Cluster;
  let db: pg.Client;

  beforeEach(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    cluster = new Cluster(services, FAST);
    await cluster.migrate();
    db = new pg.Client({ connectionString: services.postgresDsn });
    await db.connect();
  });

  afterEach(async () => {
    await db.end();
    await cluster.killAll();
    await services.remove();
  });

  function baseUrl(): string {
    const api = cluster.of('api')[0];
    if (api === undefined) throw new Error('no API process');
    return api.baseUrl;
  }

  async function submit(job: unknown): Promise<string> {
    const response = await fetch(`${baseUrl()}/jobs`, {
      method: 'POST',
      body: JSON.stringify(job),
      headers: { 'Content-Type': 'application/json' },
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 200 || body.id === undefined)
      throw new Error(`submit: ${response.status} ${JSON.stringify(body)}`);
    return body.id;
  }

  async function ended(id: string): Promise<JobBody> {
    try {
      return await waitForJob(baseUrl(), id, ['COMPLETED', 'FAILED', 'CANCELLED'], 100_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${cluster.output().slice(-8000)}`);
    }
  }

  /** Waits until `count` children of the job's first task have completed. */
  async function completedChildren(jobId: string, count: number): Promise<void> {
    await expect
      .poll(
        async () => {
          const { rows } = await db.query<{ n: string }>(
            `select count(*) as n from tasks where job_id = $1 and parent_id is not null and state = 'COMPLETED'`,
            [jobId],
          );
          return Number(rows[0]?.n);
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(count);
  }

  async function childrenOf(jobId: string): Promise<ChildRow[]> {
    const { rows } = await db.query<ChildRow>(
      `select sibling_index as index, attempt, state, result from tasks
        where job_id = $1 and parent_id is not null order by sibling_index, attempt`,
      [jobId],
    );
    return rows;
  }

  /** How many times the job's events say its first (composite) task completed. */
  async function parentCompletions(jobId: string): Promise<number> {
    const { rows } = await db.query<{ n: string }>(
      `select count(*) as n from job_events e join tasks t on t.id = e.task_id
        where e.job_id = $1 and t.parent_id is null and t.sibling_index = 0 and e.state = 'COMPLETED'`,
      [jobId],
    );
    return Number(rows[0]?.n);
  }

  const child = (n: number): { index: number; attempt: number; state: string; result: string } => ({
    index: n,
    attempt: 1,
    state: 'COMPLETED',
    result: String(n + 1),
  });

  it('(g) completes an each of 200 items at concurrency 20, each item once, when a scheduler is killed mid-run', async () => {
    await cluster.start('api');
    const doomed = await cluster.start('scheduler');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const id = await submit({
      name: 'each under fire',
      tasks: [
        {
          name: 'items',
          each: {
            list: '{{ sequence(1, 201) }}',
            concurrency: 20,
            task: { image: 'ubuntu:mantic', env: { N: '{{ item.value }}' }, run: 'sleep 0.2; echo -n $N' },
          },
        },
        { name: 'after', image: 'ubuntu:mantic', run: 'echo -n done' },
      ],
    });
    await completedChildren(id, 30);
    await doomed.kill();
    const job = await ended(id);
    expect(job.state).toBe('COMPLETED');
    expect(job.result).toBe('done');
    expect(await childrenOf(id)).toEqual(Array.from({ length: 200 }, (_, n) => child(n)));
    expect(await parentCompletions(id)).toBe(1);
  });

  it('(h) completes a parallel of 50, each child once, when a scheduler is killed mid-run', async () => {
    await cluster.start('api');
    const doomed = await cluster.start('scheduler');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const id = await submit({
      name: 'parallel under fire',
      tasks: [
        {
          name: 'fan',
          parallel: {
            tasks: Array.from({ length: 50 }, (_, n) => ({
              name: `p${n}`,
              image: 'ubuntu:mantic',
              run: `sleep 0.5; echo -n ${n + 1}`,
            })),
          },
        },
        { name: 'after', image: 'ubuntu:mantic', run: 'echo -n done' },
      ],
    });
    await completedChildren(id, 10);
    await doomed.kill();
    const job = await ended(id);
    expect(job.state).toBe('COMPLETED');
    expect(job.result).toBe('done');
    expect(await childrenOf(id)).toEqual(Array.from({ length: 50 }, (_, n) => child(n)));
    expect(await parentCompletions(id)).toBe(1);
  });

  it('(i) runs a child again when the worker running it is killed, and completes the job', async () => {
    await cluster.start('api');
    await cluster.start('scheduler');
    await cluster.start('worker');
    const id = await submit({
      name: 'child survivor',
      tasks: [
        {
          name: 'fan',
          parallel: {
            tasks: [
              { name: 'quick', image: 'ubuntu:mantic', run: 'echo -n 1' },
              { name: 'slow', image: 'ubuntu:mantic', run: 'sleep 3; echo -n 2' },
            ],
          },
        },
      ],
    });
    await completedChildren(id, 1);
    await expect
      .poll(async () => (await childrenOf(id)).find((row) => row.index === 1)?.state, { timeout: 20_000 })
      .toBe('RUNNING');
    await cluster.killAll('worker');
    await cluster.start('worker');
    const job = await ended(id);
    expect(job.state).toBe('COMPLETED');
    expect((await childrenOf(id)).map((row) => [row.index, row.attempt, row.state, row.result])).toEqual([
      [0, 1, 'COMPLETED', '1'],
      [1, 1, 'FAILED', null],
      [1, 2, 'COMPLETED', '2'],
    ]);
    expect(await parentCompletions(id)).toBe(1);
  });
});
