// Benchmarks of the engine against what users would pick instead, on the same machine in one run.
//
//   npm run bench                         # every scenario, full size (a few minutes)
//   npm run bench -- --quick              # every scenario, small: well under a minute
//   npm run bench -- --json out.json      # also write the rows as JSON
//   npm run bench -- --only standalone,bullmq
//   npm run bench -- --only distributed,graphile-worker,pg-boss,http-floor
//   npm run bench -- --only log-follow          # log line latency, container → SSE client
//
// The docker scenarios build the local test image first (tools/test-images.sh) when it is missing.
//   npm run bench -- --only each-standalone,each-distributed,parallel-standalone,parallel-distributed
//
// Throughput and latency come from the engine's own timestamps (job createdAt → execution[0].startedAt
// → completedAt, read back over the API); RSS is the largest VmRSS seen while a scenario ran.
import { writeFileSync } from 'node:fs';
import { composite } from './composite.js';
import { httpFloor } from './http-floor.js';
import { ensureTestImage } from './images.js';
import { logFollow } from './log-follow.js';
import type { Row } from './measure.js';
import { graphileWorker, pgBoss } from './peers.js';
import { amqpRaw, bullmq } from './redis-amqp-peers.js';
import {
  distributed,
  dockerEngine,
  dockerRaw,
  longJob,
  standalone,
  type Outcome,
  type Sizes,
} from './scenarios.js';

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
};
const quick = args.includes('--quick');
const jsonPath = valueOf('--json');
const only = valueOf('--only')?.split(',');

/** The issue's sizes, or small enough for `--quick`. */
const SIZE: Sizes = quick
  ? {
      jobs: 400,
      docker: 10,
      longJob: 100,
      concurrency: 16,
      dockerConcurrency: 4,
      eachItems: 1000,
      parallelTasks: 200,
      logLines: 20,
    }
  : {
      jobs: 10_000,
      docker: 50,
      longJob: 1000,
      concurrency: 16,
      dockerConcurrency: 4,
      eachItems: 10_000,
      parallelTasks: 1000,
      logLines: 100,
    };

/** In order; each comparison's peer runs right after it. */
const SCENARIOS: Readonly<Record<string, (size: Sizes) => Promise<Outcome>>> = {
  standalone: (size) => standalone(size),
  distributed,
  bullmq,
  // The durable peers on PostgreSQL, each in a database of its own.
  'graphile-worker': graphileWorker,
  'pg-boss': pgBoss,
  // HTTP alone: the client and a route that stores nothing, a floor under the engine's cost per task.
  'http-floor': httpFloor,
  'amqp-raw': amqpRaw,
  'docker-engine': dockerEngine('default'),
  'docker-raw': dockerRaw('default'),
  // Needs the engine's `-default-network` flag.
  'docker-engine-none': dockerEngine('none'),
  'docker-raw-none': dockerRaw('none'),
  // A container's line → an SSE client on another API replica.
  'log-follow': logFollow,
  'long-job': longJob,
  'one-task-jobs': (size) => standalone(size, size.longJob, 'one-task-jobs'),
  'each-standalone': (size) => composite('each', 'standalone', size.eachItems),
  'each-distributed': (size) => composite('each', 'distributed', size.eachItems),
  'parallel-standalone': (size) => composite('parallel', 'standalone', size.parallelTasks),
  'parallel-distributed': (size) => composite('parallel', 'distributed', size.parallelTasks),
};

/** The scenarios that run containers, and so need the local test image. */
const DOCKER_SCENARIOS = [
  'docker-engine',
  'docker-raw',
  'docker-engine-none',
  'docker-raw-none',
  'log-follow',
];

const selected = Object.entries(SCENARIOS).filter(([name]) => only === undefined || only.includes(name));
if (selected.some(([name]) => DOCKER_SCENARIOS.includes(name))) await ensureTestImage();

const rows: Row[] = [];
const memory: string[] = [];
const costs: string[] = [];
for (const [name, scenario] of selected) {
  process.stderr.write(`running ${name}...\n`);
  const outcome = await scenario(SIZE);
  rows.push(...outcome.rows);
  if (outcome.rss !== undefined)
    memory.push(
      `${name}: ${Object.entries(outcome.rss)
        .map(([process, mb]) => `${process} ${mb} MB`)
        .join(', ')}`,
    );
  if (outcome.perTask !== undefined)
    costs.push(
      `${name}: ${Object.entries(outcome.perTask)
        .map(([what, value]) => `${what} ${String(value)}`)
        .join(', ')}`,
    );
}

const COLUMNS = [
  'scenario',
  'tasks',
  'concurrency',
  'seconds',
  'tasksPerSec',
  'p50Ms',
  'p99Ms',
  'rssMb',
] as const;
const cells = (entry: Row): string[] => COLUMNS.map((column) => String(entry[column]));
const widths = COLUMNS.map((column, i) =>
  Math.max(column.length, ...rows.map((entry) => cells(entry)[i]?.length ?? 0)),
);
const line = (values: readonly string[]): string =>
  `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(line(COLUMNS));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const entry of rows) console.log(line(cells(entry)));

const rate = (scenario: string): number | undefined => {
  const entry = rows.find((candidate) => candidate.scenario === scenario);
  return entry === undefined ? undefined : entry.tasks / entry.seconds;
};
const ratio = (a: string, b: string): string => {
  const x = rate(a);
  const y = rate(b);
  return x === undefined || y === undefined ? 'n/a' : (x / y).toFixed(2);
};
console.log('');
if (memory.length > 0) console.log(`largest RSS: ${memory.join('; ')}`);
if (costs.length > 0) console.log(`per task: ${costs.join('; ')}`);
console.log(
  `distributed / bullmq: ${ratio('distributed', 'bullmq')}; distributed / graphile-worker: ${ratio('distributed', 'graphile-worker')}; distributed / pg-boss: ${ratio('distributed', 'pg-boss')}; docker-engine / docker-raw: ${ratio('docker-engine', 'docker-raw')}; docker-engine-none / docker-raw-none: ${ratio('docker-engine-none', 'docker-raw-none')}; long-job / one-task-jobs: ${ratio('long-job', 'one-task-jobs')}`,
);
if (jsonPath !== undefined) writeFileSync(jsonPath, `${JSON.stringify(rows, null, 2)}\n`);
