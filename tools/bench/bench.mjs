#!/usr/bin/env node
// Benchmarks of the engine against what users would pick instead, on the same machine in one run.
//
//   npm run bench                         # every scenario, full size
//   npm run bench -- --quick              # every scenario, small enough for about a minute
//   npm run bench -- --json out.json      # also write the rows as JSON
//   npm run bench -- --only standalone,bullmq
//
// Throughput and latency come from the engine's own timestamps (job createdAt → startedAt →
// completedAt, read back over the API); RSS is the largest VmRSS seen while a scenario ran.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { Queue, Worker } from 'bullmq';
import Docker from 'dockerode';
import pg from 'pg';

const TORK = fileURLToPath(new URL('../../apps/tork/bin/tork.js', import.meta.url));
const IMAGE = 'tork/busybox:latest';
const POSTGRES = process.env.TORK_TEST_POSTGRES_DSN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RABBITMQ = process.env.TORK_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS = { host: '127.0.0.1', port: 6379 };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonPath = valueOf('--json');
const only = valueOf('--only')?.split(',');

/** Sizes: the issue's, or small enough for `--quick`. */
const SIZE = quick
  ? { jobs: 400, docker: 10, longJob: 100, concurrency: 8, dockerConcurrency: 4 }
  : { jobs: 10_000, docker: 50, longJob: 1000, concurrency: 16, dockerConcurrency: 4 };
/** Submissions in flight at once, like a busy client. */
const SUBMITTERS = 32;

function valueOf(flag) {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

// ---------------------------------------------------------------- helpers

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

/** Starts `tork` with flags; resolves once it serves /health (or, for workers, once it runs). */
async function startTork(flags, { api = true } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [TORK, ...flags, '-port', String(port), '-host', '127.0.0.1', '-log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`tork ${flags.join(' ')} exited:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/health/live`)).ok) return { child, baseUrl, output: () => output };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`tork did not start${api ? '' : ' (worker)'}:\n${output}`);
}

async function stopTork(process) {
  if (process.child.exitCode !== null) return;
  process.child.kill('SIGTERM');
  await once(process.child, 'exit');
}

/** Samples the largest resident set (MB) of the given processes until stopped. */
function rssSampler(pids) {
  let max = 0;
  const read = () => {
    for (const pid of pids) {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        max = Math.max(max, kb / 1024);
      } catch {
        // the process ended
      }
    }
  };
  const timer = setInterval(read, 200);
  return () => {
    clearInterval(timer);
    read();
    return Math.round(max);
  };
}

/** Runs `work(i)` for i in 0..count-1 with at most `limit` in flight. */
async function pool(count, limit, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function submit(baseUrl, body) {
  const response = await fetch(`${baseUrl}/jobs`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (response.status !== 200) throw new Error(`submit: ${response.status} ${await response.text()}`);
  return (await response.json()).id;
}

/** Every job the API lists, newest first, as summaries. */
async function listAll(baseUrl) {
  const jobs = [];
  for (let page = 1; ; page++) {
    const body = await (await fetch(`${baseUrl}/jobs?page=${page}&size=100`)).json();
    jobs.push(...body.items);
    if (page >= body.totalPages) return jobs;
  }
}

async function waitForJob(baseUrl, id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await (await fetch(`${baseUrl}/jobs/${id}`)).json();
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.state)) return job;
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish in ${timeoutMs} ms`);
}

/** Waits until every listed job ended; throughput and latency from the engine's timestamps. */
async function measureJobs(baseUrl, ids, timeoutMs) {
  await waitForJob(baseUrl, ids.at(-1), timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await listAll(baseUrl);
    const done = jobs.filter((job) => job.state === 'COMPLETED');
    if (done.length >= ids.length) return fromTimestamps(done);
    if (jobs.some((job) => job.state === 'FAILED')) throw new Error('a benchmark job failed');
    if (Date.now() > deadline) throw new Error(`${done.length} of ${ids.length} jobs completed in time`);
    await sleep(250);
  }
}

function fromTimestamps(jobs) {
  const created = jobs.map((job) => Date.parse(job.createdAt));
  const completed = jobs.map((job) => Date.parse(job.completedAt));
  const latencies = jobs.map((job) => Date.parse(job.startedAt) - Date.parse(job.createdAt)).sort((a, b) => a - b);
  return { seconds: (Math.max(...completed) - Math.min(...created)) / 1000, latencies };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function row(scenario, tasks, concurrency, seconds, latencies, rssMb) {
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

async function withIsolatedServices(work) {
  const name = `tork_bench_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  await run('rabbitmqctl', ['add_vhost', name]);
  await run('rabbitmqctl', ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  const dsn = new URL(POSTGRES);
  dsn.pathname = `/${name}`;
  const amqp = new URL(RABBITMQ);
  amqp.pathname = `/${name}`;
  try {
    return await work(dsn.toString(), amqp.toString());
  } finally {
    await run('rabbitmqctl', ['delete_vhost', name]).catch(() => undefined);
    const cleanup = new pg.Client({ connectionString: POSTGRES });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${name} with (force)`);
    await cleanup.end();
  }
}

async function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'ignore' });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${command} ${commandArgs.join(' ')} exited with ${code}`);
}

const noopJob = (i) => ({ name: `bench ${i}`, tasks: [{ name: 'noop', image: IMAGE, run: 'true' }] });

// ---------------------------------------------------------------- scenarios

async function standalone(jobs = SIZE.jobs, scenario = 'standalone') {
  const tork = await startTork(['-mode', 'standalone', '-runtime', 'noop', '-queue', `default:${SIZE.concurrency}`]);
  const rss = rssSampler([tork.child.pid]);
  try {
    const ids = new Array(jobs);
    await pool(jobs, SUBMITTERS, async (i) => (ids[i] = await submit(tork.baseUrl, noopJob(i))));
    const { seconds, latencies } = await measureJobs(tork.baseUrl, ids, 600_000);
    return row(scenario, jobs, SIZE.concurrency, seconds, latencies, rss());
  } finally {
    await stopTork(tork);
  }
}

async function distributed() {
  return withIsolatedServices(async (dsn, amqp) => {
    const shared = ['-broker', 'rabbitmq', '-rabbitmq-url', amqp, '-datastore', 'postgres', '-postgres-dsn', dsn];
    const migration = spawn(process.execPath, [TORK, '-mode', 'migration', ...shared, '-log-level', 'warn'], { stdio: 'ignore' });
    const [code] = await once(migration, 'exit');
    if (code !== 0) throw new Error('migration failed');
    const api = await startTork(['-mode', 'api', ...shared]);
    const scheduler = await startTork(['-mode', 'scheduler', ...shared], { api: false });
    const worker = await startTork(['-mode', 'worker', ...shared, '-runtime', 'noop', '-queue', `default:${SIZE.concurrency}`], { api: false });
    const rows = [];
    try {
      // Latency at low load: one job at a time.
      const lowLoad = [];
      for (let i = 0; i < 20; i++) {
        const job = await waitForJob(api.baseUrl, await submit(api.baseUrl, noopJob(i)), 30_000);
        lowLoad.push(Date.parse(job.startedAt) - Date.parse(job.createdAt));
      }
      const apiRss = rssSampler([api.child.pid]);
      const workerRss = rssSampler([worker.child.pid]);
      const ids = new Array(SIZE.jobs);
      await pool(SIZE.jobs, SUBMITTERS, async (i) => (ids[i] = await submit(api.baseUrl, noopJob(i))));
      const all = await measureJobs(api.baseUrl, [...ids], 900_000);
      const apiMb = apiRss();
      const workerMb = workerRss();
      rows.push(row('distributed', SIZE.jobs, SIZE.concurrency, all.seconds, all.latencies, Math.max(apiMb, workerMb)));
      lowLoad.sort((a, b) => a - b);
      rows.push(row('distributed-low-load', lowLoad.length, 1, lowLoad.length, lowLoad, workerMb));
      rows.memory = { apiMb, workerMb };
      return rows;
    } finally {
      for (const process of [worker, scheduler, api]) await stopTork(process);
    }
  });
}

/** Starts the local Redis (Debian's redis-server) when nothing answers on its port. */
async function ensureRedis() {
  const { connect } = await import('node:net');
  const up = () =>
    new Promise((resolve) => {
      const socket = connect(REDIS.port, REDIS.host);
      socket.once('connect', () => resolve(socket.end() && true));
      socket.once('error', () => resolve(false));
    });
  if (await up()) return;
  process.stderr.write('starting redis-server...\n');
  await run('redis-server', ['--daemonize', 'yes', '--bind', REDIS.host, '--port', String(REDIS.port), '--save', '', '--appendonly', 'no']);
  for (let i = 0; i < 50 && !(await up()); i++) await sleep(100);
}

async function bullmq() {
  await ensureRedis();
  const name = `bench-${Date.now()}`;
  const queue = new Queue(name, { connection: REDIS });
  const latencies = [];
  let completed = 0;
  let first = Infinity;
  let last = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const worker = new Worker(name, async () => undefined, { connection: REDIS, concurrency: SIZE.concurrency });
  worker.on('completed', (job) => {
    latencies.push(job.processedOn - job.timestamp);
    first = Math.min(first, job.timestamp);
    last = Math.max(last, job.finishedOn ?? Date.now());
    if (++completed === SIZE.jobs) resolveDone();
  });
  const rss = rssSampler([process.pid]);
  try {
    await pool(SIZE.jobs, SUBMITTERS, (i) => queue.add('noop', { i }, { removeOnComplete: true }));
    await done;
    latencies.sort((a, b) => a - b);
    return row('bullmq', SIZE.jobs, SIZE.concurrency, (last - first) / 1000, latencies, rss());
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

async function amqpRaw() {
  const connection = await amqplib.connect(RABBITMQ);
  const queue = `bench-raw-${Date.now()}`;
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  await publisher.assertQueue(queue, { durable: true });
  await consumer.prefetch(SIZE.concurrency);
  const latencies = [];
  let received = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  await consumer.consume(queue, (message) => {
    latencies.push(Date.now() - Number(message.content.toString()));
    consumer.ack(message);
    if (++received === SIZE.jobs) resolveDone();
  });
  const started = Date.now();
  await pool(SIZE.jobs, SUBMITTERS, async () => {
    publisher.sendToQueue(queue, Buffer.from(String(Date.now())), { persistent: true });
    await publisher.waitForConfirms();
  });
  await done;
  const seconds = (Date.now() - started) / 1000;
  await consumer.close();
  await publisher.deleteQueue(queue);
  await connection.close();
  latencies.sort((a, b) => a - b);
  return row('amqp-raw', SIZE.jobs, SIZE.concurrency, seconds, latencies, 0);
}

async function dockerEngine() {
  const tork = await startTork(['-mode', 'standalone', '-queue', `default:${SIZE.dockerConcurrency}`]);
  const rss = rssSampler([tork.child.pid]);
  try {
    const ids = [];
    for (let i = 0; i < SIZE.docker; i++) {
      ids.push(await submit(tork.baseUrl, { name: `echo ${i}`, tasks: [{ image: IMAGE, run: 'echo hello' }] }));
    }
    const { seconds, latencies } = await measureJobs(tork.baseUrl, ids, 300_000);
    return row('docker-engine', SIZE.docker, SIZE.dockerConcurrency, seconds, latencies, rss());
  } finally {
    await stopTork(tork);
  }
}

async function dockerRaw() {
  const docker = new Docker();
  const latencies = [];
  const started = Date.now();
  await pool(SIZE.docker, SIZE.dockerConcurrency, async () => {
    const begin = Date.now();
    const container = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['sh', '-c', 'echo hello'],
      HostConfig: { NetworkMode: 'none' },
      Labels: { 'tork.bench': 'raw' },
    });
    await container.start();
    latencies.push(Date.now() - begin);
    await container.wait();
    await container.logs({ stdout: true, stderr: true });
    await container.remove({ force: true });
  });
  latencies.sort((a, b) => a - b);
  return row('docker-raw', SIZE.docker, SIZE.dockerConcurrency, (Date.now() - started) / 1000, latencies, 0);
}

async function longJob() {
  const tork = await startTork(['-mode', 'standalone', '-runtime', 'noop', '-queue', `default:${SIZE.concurrency}`]);
  const rss = rssSampler([tork.child.pid]);
  try {
    const tasks = Array.from({ length: SIZE.longJob }, (_, i) => ({ name: `step ${i}`, image: IMAGE, run: 'true' }));
    const id = await submit(tork.baseUrl, { name: 'long job', tasks });
    const job = await waitForJob(tork.baseUrl, id, 600_000);
    if (job.state !== 'COMPLETED') throw new Error(`the long job ${job.state}`);
    const latencies = job.execution.map((task) => Date.parse(task.startedAt) - Date.parse(task.createdAt)).sort((a, b) => a - b);
    const seconds = (Date.parse(job.completedAt) - Date.parse(job.createdAt)) / 1000;
    return row('long-job', SIZE.longJob, 1, seconds, latencies, rss());
  } finally {
    await stopTork(tork);
  }
}

// ---------------------------------------------------------------- main

const SCENARIOS = {
  standalone: () => standalone(),
  distributed,
  bullmq,
  'amqp-raw': amqpRaw,
  'docker-engine': dockerEngine,
  'docker-raw': dockerRaw,
  'long-job': longJob,
  'one-task-jobs': () => standalone(SIZE.longJob, 'one-task-jobs'),
};

const rows = [];
const memory = {};
for (const [name, scenario] of Object.entries(SCENARIOS)) {
  if (only !== undefined && !only.includes(name)) continue;
  process.stderr.write(`running ${name}...\n`);
  const result = await scenario();
  for (const entry of Array.isArray(result) ? result : [result]) rows.push(entry);
  if (result.memory !== undefined) Object.assign(memory, result.memory);
}

const columns = ['scenario', 'tasks', 'concurrency', 'seconds', 'tasksPerSec', 'p50Ms', 'p99Ms', 'rssMb'];
const widths = columns.map((column) => Math.max(column.length, ...rows.map((entry) => String(entry[column]).length)));
const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
console.log(line(columns));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const entry of rows) console.log(line(columns.map((column) => entry[column])));
if (memory.apiMb !== undefined) console.log(`\ndistributed RSS: api ${memory.apiMb} MB, worker ${memory.workerMb} MB`);
const ratio = (a, b) => {
  const x = rows.find((entry) => entry.scenario === a);
  const y = rows.find((entry) => entry.scenario === b);
  return x && y ? (x.tasks / x.seconds / (y.tasks / y.seconds)).toFixed(2) : 'n/a';
};
console.log(`distributed / bullmq: ${ratio('distributed', 'bullmq')}; docker-engine / docker-raw: ${ratio('docker-engine', 'docker-raw')}`);
if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify(rows, null, 2)}\n`);
