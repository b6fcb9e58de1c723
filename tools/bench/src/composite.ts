import { isolatedServices, type IsolatedServices } from '@tork/testing/cluster';
import {
  cpuMs,
  rssSampler,
  row,
  runTork,
  servicesEnv,
  startTork,
  submit,
  waitForJob,
  type HttpClient,
  type Tork,
} from './measure.js';
import {
  countStatements,
  IMAGE,
  POSTGRES,
  RABBITMQ,
  round2,
  WORKER_NODE_FLAGS,
  type Outcome,
} from './scenarios.js';

/** A composite task the bench runs: one `each` over N no-op items, or one `parallel` of N. */
export type CompositeKind = 'each' | 'parallel';
export type EngineMode = 'standalone' | 'distributed';

/** The each runs this many items at once; the worker has as many slots. */
export const EACH_CONCURRENCY = 100;

function compositeJob(kind: CompositeKind, n: number): unknown {
  const task = { name: 'noop', image: IMAGE, run: 'true' };
  const composite =
    kind === 'each'
      ? { name: 'items', each: { list: `{{ sequence(0, ${n}) }}`, concurrency: EACH_CONCURRENCY, task } }
      : {
          name: 'fan',
          parallel: { tasks: Array.from({ length: n }, (_, i) => ({ ...task, name: `noop ${i}` })) },
        };
  return { name: `${kind} of ${n}`, tasks: [composite] };
}

/** The engine's processes by name, the client of its API, and its database when it has one. */
interface Engine {
  readonly client: HttpClient;
  readonly processes: Readonly<Record<string, Tork>>;
  readonly dsn?: string;
  stop(): Promise<void>;
}

async function startEngine(mode: EngineMode, slots: number): Promise<Engine> {
  const worker = ['-runtime', 'noop', '-queue', `default:${slots}`];
  if (mode === 'standalone') {
    const tork = await startTork(['-mode', 'standalone', ...worker, '-rate-limit', '0']);
    return { client: tork.client, processes: { standalone: tork }, stop: () => tork.stop() };
  }
  const services: IsolatedServices = await isolatedServices(POSTGRES, RABBITMQ);
  const shared = ['-broker', 'rabbitmq', '-datastore', 'postgres'];
  const env = servicesEnv(services);
  await runTork(['-mode', 'migration', ...shared], env);
  const started: Tork[] = [];
  try {
    const api = await startTork(['-mode', 'api', ...shared, '-rate-limit', '0'], [], env);
    started.push(api);
    const scheduler = await startTork(['-mode', 'scheduler', ...shared], [], env);
    started.push(scheduler);
    started.push(await startTork(['-mode', 'worker', ...shared, ...worker], WORKER_NODE_FLAGS, env));
  } catch (error) {
    for (const process of started) await process.stop();
    await services.remove();
    throw error;
  }
  const [api, scheduler, workerProcess] = started as [Tork, Tork, Tork];
  return {
    client: api.client,
    processes: { api, scheduler, worker: workerProcess },
    dsn: services.postgresDsn,
    stop: async () => {
      for (const process of [workerProcess, scheduler, api]) await process.stop();
      await services.remove();
    },
  };
}

interface Child {
  readonly scheduledAt?: string;
  readonly startedAt?: string;
}

interface ChildPage {
  readonly items: readonly Child[];
  readonly totalPages: number;
}

/** Every child of the job's composite task, through `GET /jobs/{id}/tasks?parentId=`, 100 a page. */
async function childrenOf(client: HttpClient, jobId: string, parentId: string): Promise<Child[]> {
  const children: Child[] = [];
  for (let page = 1; ; page++) {
    const response = await client.request(
      'GET',
      `/jobs/${jobId}/tasks?parentId=${parentId}&page=${page}&size=100`,
    );
    const body = response.body as ChildPage;
    children.push(...body.items);
    if (page >= body.totalPages) return children;
  }
}

/**
 * One job whose one task is a composite of `n` no-op children. Throughput is children per second
 * of the job's life (createdAt → completedAt); latency is each child's dispatch hop (scheduledAt →
 * startedAt), since an each's later items wait for their turn by design.
 */
export async function composite(kind: CompositeKind, mode: EngineMode, n: number): Promise<Outcome> {
  const scenario = `${kind}-${n >= 1000 ? `${n / 1000}k` : n}-${mode}`;
  const engine = await startEngine(mode, EACH_CONCURRENCY);
  const samplers = Object.fromEntries(
    Object.entries(engine.processes).map(([name, process]) => [name, rssSampler(process.child.pid)]),
  );
  try {
    const cpuBefore = Object.values(engine.processes).map((process) => cpuMs(process.child.pid));
    let id = '';
    const workload = async (): Promise<void> => {
      id = await submit(engine.client, compositeJob(kind, n));
    };
    let statements: number | undefined;
    if (engine.dsn === undefined) await workload();
    else statements = await countStatements(engine.dsn, 1, workload);
    const job = await waitForJob(engine.client, id, 900_000);
    if (job.state !== 'COMPLETED') throw new Error(`the ${scenario} job ended ${job.state}`);
    const perTask: Record<string, number> = {};
    Object.entries(engine.processes).forEach(([name, process], i) => {
      perTask[`${name} CPU ms`] = round2((cpuMs(process.child.pid) - (cpuBefore[i] ?? 0)) / n);
    });
    if (statements !== undefined) perTask['PostgreSQL statements'] = round2(statements / n);
    const rss = Object.fromEntries(Object.entries(samplers).map(([name, sample]) => [name, sample()]));
    const latencies = (await childrenOf(engine.client, id, job.execution?.[0]?.id ?? ''))
      .map((child) => Date.parse(child.startedAt ?? '') - Date.parse(child.scheduledAt ?? ''))
      .sort((a, b) => a - b);
    if (latencies.length !== n) throw new Error(`${scenario}: ${latencies.length} children, not ${n}`);
    const seconds = (Date.parse(job.completedAt ?? '') - Date.parse(job.createdAt)) / 1000;
    const concurrency = kind === 'each' ? EACH_CONCURRENCY : n;
    return {
      rows: [row(scenario, n, concurrency, seconds, latencies, Math.max(...Object.values(rss)))],
      rss,
      perTask,
    };
  } finally {
    await engine.stop();
  }
}
