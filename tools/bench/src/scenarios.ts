import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import pg from 'pg';
import { isolatedServices } from '@tork/testing/cluster';
import {
  cpuMs,
  cpuMsOfCommands,
  writeCalls,
  measureJobs,
  pool,
  row,
  rssSampler,
  runTork,
  servicesEnv,
  startTork,
  submit,
  waitForJob,
  type Row,
} from './measure.js';

export interface Sizes {
  readonly jobs: number;
  readonly docker: number;
  readonly longJob: number;
  readonly concurrency: number;
  readonly dockerConcurrency: number;
  /** Items of the `each` scenario and children of the `parallel` one. */
  readonly eachItems: number;
  readonly parallelTasks: number;
  /** Lines the log-follow scenario measures. */
  readonly logLines: number;
}

/** A scenario's rows, the RSS of each process it sampled (MB), and what each task cost. */
export interface Outcome {
  readonly rows: Row[];
  readonly rss?: Readonly<Record<string, number>>;
  /** Per task: CPU ms of each engine process, PostgreSQL transactions (statements). */
  readonly perTask?: Readonly<Record<string, number>>;
}

/**
 * Counts the statements the engine sends to its database (each autocommitted statement is one
 * transaction in pg_stat_database) while a workload runs, and waits for the workload's jobs to
 * complete by asking the database itself, so that no API read is counted.
 */
export async function countStatements(
  dsn: string,
  jobs: number,
  workload: () => Promise<void>,
): Promise<number> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  let own = 0; // this client's statements, each a transaction too
  const query = async (text: string): Promise<number> => {
    own += 1;
    const { rows } = await client.query<{ n: string }>(text);
    return Number(rows[0]?.n ?? 0);
  };
  const committed = (): Promise<number> =>
    query('select xact_commit as n from pg_stat_database where datname = current_database()');
  try {
    const before = await committed();
    own = 0; // the first query's own commit is counted after it
    await workload();
    while ((await query(`select count(*) as n from jobs where state = 'COMPLETED'`)) < jobs) await sleep(200);
    await sleep(1500); // backends report their statistics within a second of going idle
    const after = await committed();
    return after - before - (own - 1);
  } finally {
    await client.end();
  }
}

export const IMAGE = 'tork/busybox:latest';
/** The Node flags docker/Dockerfile sets for the api and the worker images. */
const API_NODE_FLAGS = ['--max-semi-space-size=8'];
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=4'];
export const POSTGRES =
  process.env['TORK_TEST_POSTGRES_DSN'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const RABBITMQ = process.env['TORK_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Submissions in flight at once, like a busy client. */
export const SUBMITTERS = 32;

/** A promise and the function that settles it. */
export function signal(): { done: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((settle) => (resolve = settle));
  return { done, resolve };
}

export const round2 = (value: number): number => Math.round(value * 100) / 100;

/**
 * CPU used so far (ms) by what shares the machine with the engine under test: the services and
 * this process, which is the load client for the engine and the peer itself for the in-process
 * peers. Per task, beside the engine's own figures, it shows where the rest of the cores went.
 */
export function serviceCpuMs(): Record<string, number> {
  const own = process.cpuUsage();
  return {
    PostgreSQL: cpuMsOfCommands(['postgres']),
    RabbitMQ: cpuMsOfCommands(['beam.smp']),
    bench: (own.user + own.system) / 1000,
  };
}

export const noopJob = (i: number): unknown => ({
  name: `bench ${i}`,
  tasks: [{ name: 'noop', image: IMAGE, run: 'true' }],
});

export async function standalone(size: Sizes, jobs = size.jobs, scenario = 'standalone'): Promise<Outcome> {
  const tork = await startTork([
    '-mode',
    'standalone',
    '-runtime',
    'noop',
    '-queue',
    `default:${size.concurrency}`,
    // The bench submits as fast as it can from one address: the API's rate limit would cut it short.
    '-rate-limit',
    '0',
  ]);
  const rss = rssSampler(tork.child.pid);
  try {
    const ids = new Array<string>(jobs);
    const cpuBefore = cpuMs(tork.child.pid);
    await pool(jobs, SUBMITTERS, async (i) => (ids[i] = await submit(tork.client, noopJob(i))));
    // The last job submitted is about the last to end: the CPU until then is the workload's.
    await waitForJob(tork.client, ids.at(-1) ?? '', 600_000);
    const perTask = { 'CPU ms': round2((cpuMs(tork.child.pid) - cpuBefore) / jobs) };
    const { seconds, latencies } = await measureJobs(tork.client, ids, 600_000);
    const mb = rss();
    return {
      rows: [row(scenario, jobs, size.concurrency, seconds, latencies, mb)],
      rss: { standalone: mb },
      perTask,
    };
  } finally {
    await tork.stop();
  }
}

/** RabbitMQ + PostgreSQL, one api, one scheduler and one worker, in a database and vhost of their own. */
export async function distributed(size: Sizes): Promise<Outcome> {
  const services = await isolatedServices(POSTGRES, RABBITMQ);
  try {
    const shared = ['-broker', 'rabbitmq', '-datastore', 'postgres'];
    const env = servicesEnv(services);
    await runTork(['-mode', 'migration', ...shared], env);
    // The api and the worker run with the young generation the deployment images give them
    // (docker/Dockerfile): it keeps their RSS down at the same CPU per task.
    // The bench submits as fast as it can from one address: the API's rate limit would cut it short.
    const api = await startTork(['-mode', 'api', ...shared, '-rate-limit', '0'], API_NODE_FLAGS, env);
    const scheduler = await startTork(['-mode', 'scheduler', ...shared], [], env);
    const worker = await startTork(
      ['-mode', 'worker', ...shared, '-runtime', 'noop', '-queue', `default:${size.concurrency}`],
      WORKER_NODE_FLAGS,
      env,
    );
    try {
      // Latency at low load: one job at a time, each waited for.
      const lowLoad: number[] = [];
      for (let i = 0; i < 20; i++) {
        const job = await waitForJob(api.client, await submit(api.client, noopJob(i)), 30_000);
        lowLoad.push(Date.parse(job.execution?.[0]?.startedAt ?? '') - Date.parse(job.createdAt));
      }
      lowLoad.sort((a, b) => a - b);
      const apiRss = rssSampler(api.child.pid);
      const workerRss = rssSampler(worker.child.pid);
      const schedulerRss = rssSampler(scheduler.child.pid);
      const processes = { api, scheduler, worker };
      const cpuBefore = Object.values(processes).map((process) => cpuMs(process.child.pid));
      const writesBefore = Object.values(processes).map((process) => writeCalls(process.child.pid));
      const servicesBefore = serviceCpuMs();
      const ids = new Array<string>(size.jobs);
      const statements = await countStatements(services.postgresDsn, size.jobs, () =>
        pool(size.jobs, SUBMITTERS, async (i) => (ids[i] = await submit(api.client, noopJob(i)))),
      );
      const perTask: Record<string, number> = {};
      Object.entries(processes).forEach(([name, process], i) => {
        perTask[`${name} CPU ms`] = round2((cpuMs(process.child.pid) - (cpuBefore[i] ?? 0)) / size.jobs);
        perTask[`${name} writes`] = round2(
          (writeCalls(process.child.pid) - (writesBefore[i] ?? 0)) / size.jobs,
        );
      });
      perTask['PostgreSQL statements'] = round2(statements / size.jobs);
      Object.entries(serviceCpuMs()).forEach(([name, ms]) => {
        const label = name === 'bench' ? 'load client' : name;
        perTask[`${label} CPU ms`] = round2((ms - (servicesBefore[name] ?? 0)) / size.jobs);
      });
      const all = await measureJobs(api.client, ids, 900_000);
      const rss = { api: apiRss(), scheduler: schedulerRss(), worker: workerRss() };
      const mb = Math.max(rss.api, rss.worker);
      return {
        rows: [
          row('distributed', size.jobs, size.concurrency, all.seconds, all.latencies, mb),
          row('distributed-low-load', lowLoad.length, 1, lowLoad.length, lowLoad, mb),
        ],
        rss,
        perTask,
      };
    } finally {
      for (const process of [worker, scheduler, api]) await process.stop();
    }
  } finally {
    await services.remove();
  }
}

/**
 * Docker's network for the docker scenarios: its default network (the headline pair), or `none`.
 * Both sides of a pair use the same, since a container on `none` costs the engine more to set up.
 */
export type DockerNetwork = 'default' | 'none';

/** `echo` tasks through the engine: standalone, Docker runtime, on `network`. */
export const dockerEngine =
  (network: DockerNetwork) =>
  async (size: Sizes): Promise<Outcome> => {
    // No rate limit: the bench, not the API, sets the pace (see standalone()).
    const tork = await startTork([
      '-mode',
      'standalone',
      '-queue',
      `default:${size.dockerConcurrency}`,
      '-rate-limit',
      '0',
      ...(network === 'none' ? ['-default-network', 'none'] : []),
    ]);
    const rss = rssSampler(tork.child.pid);
    try {
      const ids: string[] = [];
      for (let i = 0; i < size.docker; i++)
        ids.push(
          await submit(tork.client, { name: `echo ${i}`, tasks: [{ image: IMAGE, run: 'echo hello' }] }),
        );
      const { seconds, latencies } = await measureJobs(tork.client, ids, 300_000);
      const name = network === 'none' ? 'docker-engine-none' : 'docker-engine';
      return { rows: [row(name, size.docker, size.dockerConcurrency, seconds, latencies, rss())] };
    } finally {
      await tork.stop();
    }
  };

/** The same containers with dockerode directly: create, start, wait, read the output, remove. */
export const dockerRaw =
  (network: DockerNetwork) =>
  async (size: Sizes): Promise<Outcome> => {
    const docker = new Docker();
    const latencies: number[] = [];
    const started = Date.now();
    await pool(size.docker, size.dockerConcurrency, async () => {
      const begin = Date.now();
      const container = await docker.createContainer({
        Image: IMAGE,
        Cmd: ['sh', '-c', 'echo hello'],
        // Unset, as the engine leaves it: the engine's default network.
        ...(network === 'none' ? { HostConfig: { NetworkMode: 'none' } } : {}),
        Labels: { 'tork.bench': 'raw' },
      });
      await container.start();
      latencies.push(Date.now() - begin);
      await container.wait();
      await container.logs({ stdout: true, stderr: true, follow: false });
      await container.remove({ force: true });
    });
    latencies.sort((a, b) => a - b);
    const name = network === 'none' ? 'docker-raw-none' : 'docker-raw';
    return {
      rows: [row(name, size.docker, size.dockerConcurrency, (Date.now() - started) / 1000, latencies, 0)],
    };
  };

/** One job of `longJob` sequential no-op tasks; its peer is as many one-task jobs (`one-task-jobs`). */
export async function longJob(size: Sizes): Promise<Outcome> {
  const tork = await startTork([
    '-mode',
    'standalone',
    '-runtime',
    'noop',
    '-queue',
    `default:${size.concurrency}`,
    // The bench submits as fast as it can from one address: the API's rate limit would cut it short.
    '-rate-limit',
    '0',
  ]);
  const rss = rssSampler(tork.child.pid);
  try {
    const tasks = Array.from({ length: size.longJob }, (_, i) => ({
      name: `step ${i}`,
      image: IMAGE,
      run: 'true',
    }));
    const id = await submit(tork.client, { name: 'long job', tasks });
    const job = await waitForJob(tork.client, id, 600_000);
    if (job.state !== 'COMPLETED') throw new Error(`the long job ended ${job.state}`);
    const latencies = (job.execution ?? [])
      .map((task) => Date.parse(task.startedAt ?? '') - Date.parse(task.createdAt ?? ''))
      .sort((a, b) => a - b);
    const seconds = (Date.parse(job.completedAt ?? '') - Date.parse(job.createdAt)) / 1000;
    return { rows: [row('long-job', size.longJob, 1, seconds, latencies, rss())] };
  } finally {
    await tork.stop();
  }
}
