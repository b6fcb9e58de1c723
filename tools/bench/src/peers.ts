import { setTimeout as sleep } from 'node:timers/promises';
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { isolatedDatabase } from './database.js';
import { pool, row, rssSampler } from './measure.js';
import { POSTGRES, round2, serviceCpuMs, SUBMITTERS, type Outcome, type Sizes } from './scenarios.js';

/** pg-boss as the issue measured it: 16 workers, each fetching batches of 100 every 0.5 s. */
export const PG_BOSS_WORKERS = 16;
const PG_BOSS_BATCH = 100;
const PG_BOSS_POLL_SECONDS = 0.5;

/** A promise that the handlers settle: resolved when every job ended, rejected by the first failure. */
function outcome(): { done: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve: () => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const done = new Promise<void>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { done, resolve, reject };
}

// The bench's table is its output: the peer's own logs would interleave with it.
const SILENT = new Logger(() => () => undefined);

/**
 * graphile-worker in a database of its own: `run()` with the same concurrency, the default poll
 * interval (it wakes on LISTEN/NOTIFY), a task that returns at once. Latency is created_at → the
 * job's start; the run ends when the last job's completion is written back.
 */
export async function graphileWorker(size: Sizes): Promise<Outcome> {
  const database = await isolatedDatabase(POSTGRES);
  const { done, resolve, reject } = outcome();
  // Our own pool (graphile-worker's default size, 10): graphile-worker does not wait for the pool
  // it makes to end, and dropping the database under it would crash the bench on an idle client.
  const connections = new pg.Pool({ connectionString: database.dsn, max: 10 });
  connections.on('error', reject);
  connections.on('connect', (client) => client.on('error', reject));
  try {
    const runner = await run({
      pgPool: connections,
      concurrency: size.concurrency,
      noHandleSignals: true,
      logger: SILENT,
      taskList: { noop: () => undefined },
    });
    const latencies: number[] = [];
    let first = Infinity;
    let last = 0;
    let completed = 0;
    runner.events.on('job:start', ({ job }) => {
      latencies.push(Date.now() - job.created_at.getTime());
    });
    runner.events.on('job:complete', ({ job, error }) => {
      if (error !== null && error !== undefined) reject(error);
      first = Math.min(first, job.created_at.getTime());
      last = Date.now();
      if (++completed === size.jobs) resolve();
    });
    const rss = rssSampler(process.pid);
    try {
      const before = serviceCpuMs();
      await pool(size.jobs, SUBMITTERS, (i) => runner.addJob('noop', { i }));
      await done;
      const perTask = peerCpuPerTask(before, size.jobs);
      latencies.sort((a, b) => a - b);
      const seconds = (last - first) / 1000;
      return {
        rows: [row('graphile-worker', size.jobs, size.concurrency, seconds, latencies, rss())],
        perTask,
      };
    } finally {
      await runner.stop();
    }
  } finally {
    await connections.end();
    await database.remove();
  }
}

/** What a peer's run cost per job: the peer (in this process) and PostgreSQL, from `before`. */
function peerCpuPerTask(before: Record<string, number>, jobs: number): Record<string, number> {
  const after = serviceCpuMs();
  const per = (name: string): number => round2(((after[name] ?? 0) - (before[name] ?? 0)) / jobs);
  return { 'peer CPU ms': per('bench'), 'PostgreSQL CPU ms': per('PostgreSQL') };
}

interface PgBossTimes {
  readonly completed: string;
  readonly first: Date | null;
  readonly last: Date | null;
  readonly latencies: number[] | null;
}

/** Reads pg-boss's own timestamps of the queue's jobs once all are completed. */
async function pgBossTimes(dsn: string, queue: string, jobs: number): Promise<PgBossTimes> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<PgBossTimes>(
        `select count(*) filter (where state = 'completed') as completed,
                min(created_on) as first, max(completed_on) as last,
                array_agg(extract(epoch from started_on - created_on) * 1000) as latencies
           from pgboss.job where name = $1`,
        [queue],
      );
      const times = rows[0];
      if (times !== undefined && Number(times.completed) >= jobs) return times;
      // The last batch's completion is written just after its handler returns.
      await sleep(50);
    }
  } finally {
    await client.end();
  }
}

/**
 * pg-boss in a database of its own: PG_BOSS_WORKERS workers polling every 0.5 s for batches of 100,
 * a handler that returns at once. Throughput and latency come from pg-boss's own job rows
 * (created_on → started_on → completed_on), which it keeps after completion.
 */
export async function pgBoss(size: Sizes): Promise<Outcome> {
  const database = await isolatedDatabase(POSTGRES);
  // No maintenance or cron during the run: the bench reads the completed rows maintenance would archive.
  const boss = new PgBoss({ connectionString: database.dsn, supervise: false, schedule: false });
  const { done, resolve, reject } = outcome();
  boss.on('error', reject);
  try {
    await boss.start();
    const queue = 'bench';
    await boss.createQueue(queue);
    let handled = 0;
    const options = { batchSize: PG_BOSS_BATCH, pollingIntervalSeconds: PG_BOSS_POLL_SECONDS };
    for (let i = 0; i < PG_BOSS_WORKERS; i++)
      await boss.work(queue, options, (jobs) => {
        handled += jobs.length;
        if (handled >= size.jobs) resolve();
        return Promise.resolve();
      });
    const rss = rssSampler(process.pid);
    const before = serviceCpuMs();
    await pool(size.jobs, SUBMITTERS, (i) => boss.send(queue, { i }));
    await done;
    const perTask = peerCpuPerTask(before, size.jobs);
    const times = await pgBossTimes(database.dsn, queue, size.jobs);
    const latencies = (times.latencies ?? []).map(Number).sort((a, b) => a - b);
    const seconds = ((times.last?.getTime() ?? 0) - (times.first?.getTime() ?? 0)) / 1000;
    return { rows: [row('pg-boss', size.jobs, size.concurrency, seconds, latencies, rss())], perTask };
  } finally {
    await boss.stop({ graceful: false, wait: true });
    await database.remove();
  }
}
