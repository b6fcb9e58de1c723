import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './repo-root.js';

/** One line of the table and of the `--json` array. */
export interface Row {
  readonly scenario: string;
  readonly tasks: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly tasksPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly rssMb: number;
}

const TORK = join(repoRoot(), 'apps/tork/dist/main.js');
/**
 * Node flags for every `tork` process the bench starts, e.g. to profile them:
 * TORK_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
 */
const NODE_FLAGS = (process.env['TORK_BENCH_NODE_FLAGS'] ?? '').split(' ').filter((flag) => flag !== '');
/** A folder to keep each `tork` process's output in (`<mode>-<pid>.log`, written when it stops); none by default. */
const LOGS_DIR = process.env['TORK_BENCH_LOGS'];

// ---------------------------------------------------------------- HTTP

/**
 * A keep-alive HTTP client: the load generator shares the two cores with the engine, and
 * node:http over kept-alive sockets costs a fraction of fetch() per request.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    readonly baseUrl: string,
    sockets: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method,
          agent: this.agent,
          headers:
            payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown });
            } catch {
              resolve({ status: response.statusCode ?? 0, body: text });
            }
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** What the bench reads of a job: `GET /jobs/{id}` and the summaries of `GET /jobs`. */
export interface JobBody {
  readonly id: string;
  readonly state: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  /** Why the job failed, when it did. */
  readonly error?: string;
  readonly execution?: readonly {
    readonly id?: string;
    readonly createdAt?: string;
    readonly startedAt?: string;
  }[];
}

function isJobBody(value: unknown): value is JobBody {
  return typeof value === 'object' && value !== null && 'id' in value && 'state' in value;
}

export async function submit(client: HttpClient, spec: unknown): Promise<string> {
  const response = await client.request('POST', '/jobs', spec);
  if (response.status !== 200 || !isJobBody(response.body))
    throw new Error(`submit: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function getJob(client: HttpClient, id: string): Promise<JobBody> {
  const response = await client.request('GET', `/jobs/${id}`);
  if (response.status !== 200 || !isJobBody(response.body))
    throw new Error(`GET /jobs/${id}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED'];

export async function waitForJob(client: HttpClient, id: string, timeoutMs: number): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await getJob(client, id);
    if (ENDED.includes(job.state)) return job;
    await sleep(20);
  }
  throw new Error(`job ${id} did not end in ${timeoutMs} ms`);
}

/**
 * Waits until every job ended, then reads each back: throughput from the engine's own timestamps
 * (first createdAt → last completedAt), latency submit → RUNNING as createdAt → execution[0].startedAt.
 */
export async function measureJobs(
  client: HttpClient,
  ids: readonly string[],
  timeoutMs: number,
): Promise<{ seconds: number; latencies: number[] }> {
  const last = ids.at(-1);
  if (last === undefined) throw new Error('no jobs');
  await waitForJob(client, last, timeoutMs);
  const jobs = new Array<JobBody>(ids.length);
  const deadline = Date.now() + timeoutMs;
  await pool(ids.length, 16, async (i) => {
    const id = ids[i] ?? '';
    let job = await getJob(client, id);
    while (!ENDED.includes(job.state)) {
      if (Date.now() > deadline) throw new Error(`job ${id} did not end in ${timeoutMs} ms`);
      await sleep(100);
      job = await getJob(client, id);
    }
    if (job.state !== 'COMPLETED')
      throw new Error(`a benchmark job ended ${job.state}${job.error === undefined ? '' : `: ${job.error}`}`);
    jobs[i] = job;
  });
  return fromTimestamps(jobs);
}

export function fromTimestamps(jobs: readonly JobBody[]): { seconds: number; latencies: number[] } {
  let first = Infinity;
  let end = 0;
  const latencies: number[] = [];
  for (const job of jobs) {
    const created = Date.parse(job.createdAt);
    first = Math.min(first, created);
    end = Math.max(end, Date.parse(job.completedAt ?? ''));
    latencies.push(Date.parse(job.execution?.[0]?.startedAt ?? '') - created);
  }
  return { seconds: (end - first) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

// ---------------------------------------------------------------- numbers

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function row(
  scenario: string,
  tasks: number,
  concurrency: number,
  seconds: number,
  latencies: readonly number[],
  rssMb: number,
): Row {
  return {
    scenario,
    tasks,
    concurrency,
    seconds: Number(seconds.toFixed(2)),
    tasksPerSec: Math.round(tasks / seconds),
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    rssMb,
  };
}

/** Runs `work(i)` for i in 0..count-1 with at most `limit` in flight. */
export async function pool(
  count: number,
  limit: number,
  work: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Samples the largest resident set (VmRSS, MB) of one process until stopped. */
export function rssSampler(pid: number | undefined): () => number {
  let maxKb = 0;
  const read = (): void => {
    if (pid === undefined) return;
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      maxKb = Math.max(maxKb, kb);
    } catch {
      // the process ended
    }
  };
  read();
  const timer = setInterval(read, 100);
  return () => {
    clearInterval(timer);
    read();
    return Math.round(maxKb / 1024);
  };
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time a process has used (user + system, ms): the cost of its work, which holds when other
 * processes share the cores, unlike wall-clock throughput.
 */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime, stime: fields 14 and 15
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0; // the process ended
  }
}

/**
 * Write system calls a process has made so far (/proc/<pid>/io `syscw`): each send on a socket is
 * one, so per task it counts the messages and statements that went out unbatched.
 */
export function writeCalls(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // the process ended
  }
}

/**
 * CPU time (ms) used so far by every process whose command is one of `commands` (the kernel's
 * `comm`, as `ps -o comm` shows it): PostgreSQL's backends (`postgres`), RabbitMQ's VM (`beam.smp`).
 * These services are shared: the figure is theirs whole, so it is the run's own only on an idle
 * machine. Processes that end between two readings drop out of the sum.
 */
export function cpuMsOfCommands(commands: readonly string[]): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (commands.includes(command)) total += cpuMs(Number(entry));
    } catch {
      // the process ended while being read
    }
  }
  return total;
}

// ---------------------------------------------------------------- processes

export interface Tork {
  readonly child: ChildProcess;
  readonly client: HttpClient;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Variables for the `tork` processes, on top of the bench's own. */
export type TorkEnv = Readonly<Record<string, string>>;

/**
 * The engine's services as variables rather than flags: the engine warns about credentials on a
 * command line, and those warnings would interleave with the bench's table.
 */
export function servicesEnv(services: { postgresDsn: string; rabbitmqUrl: string }): TorkEnv {
  return { TORK_POSTGRES_DSN: services.postgresDsn, TORK_RABBITMQ_URL: services.rabbitmqUrl };
}

/** Starts `tork` with `flags` and waits until it answers /health/live (workers serve it too). */
export async function startTork(
  flags: readonly string[],
  nodeFlags: readonly string[] = [],
  env: TorkEnv = {},
): Promise<Tork> {
  const port = await freePort();
  const args = [
    ...nodeFlags,
    ...NODE_FLAGS,
    TORK,
    ...flags,
    '-port',
    String(port),
    '-host',
    '127.0.0.1',
    '-log-level',
    'warn',
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const client = new HttpClient(`http://127.0.0.1:${port}`, 64);
  const tork: Tork = {
    child,
    client,
    stop: async () => {
      client.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (LOGS_DIR !== undefined) {
        const mode = flags[flags.indexOf('-mode') + 1] ?? 'tork';
        await writeFile(join(LOGS_DIR, `${mode}-${String(child.pid)}.log`), output);
      }
    },
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`tork ${flags.join(' ')} exited:\n${output}`);
    try {
      if ((await client.request('GET', '/health/live')).status === 200) return tork;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`tork ${flags.join(' ')} did not start:\n${output}`);
}

/** Runs `tork` to its end (the migration mode). */
export async function runTork(flags: readonly string[], env: TorkEnv = {}): Promise<void> {
  const child = spawn(process.execPath, [TORK, ...flags, '-log-level', 'warn'], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`tork ${flags.join(' ')} exited with ${String(code)}`);
}

export async function run(command: string, args: readonly string[]): Promise<void> {
  const child = spawn(command, args, { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(code)}`);
}
