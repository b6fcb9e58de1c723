#!/usr/bin/env node
// Starts a local distributed cluster against the running PostgreSQL and RabbitMQ:
// migration, then 2 APIs (ports 3000 and 3001), 2 schedulers and 2 workers, each a separate
// `tork` process, their logs prefixed with their role. Ctrl-C stops them all gracefully.
//
//   npm run cluster                     # postgres://postgres@127.0.0.1:5432/tork, amqp://guest:guest@127.0.0.1:5672
//   TORK_POSTGRES_DSN=... TORK_RABBITMQ_URL=... npm run cluster
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const tork = fileURLToPath(new URL('../apps/tork/bin/tork.js', import.meta.url));
const dsn = process.env.TORK_POSTGRES_DSN ?? 'postgres://postgres@127.0.0.1:5432/tork';
const amqp = process.env.TORK_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const shared = ['-broker', 'rabbitmq', '-datastore', 'postgres'];
// The credentials go in the environment, as a deployment passes them, not on the command line.
const env = { ...process.env, TORK_POSTGRES_DSN: dsn, TORK_RABBITMQ_URL: amqp };

const processes = [];

function start(role, flags) {
  const child = spawn(process.execPath, [tork, '-mode', role, ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const label = `${role}${flags.includes('-port') ? `:${flags[flags.indexOf('-port') + 1]}` : ''}`.padEnd(16);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label}| ${line}\n`));
  }
  processes.push(child);
  return child;
}

async function ensureDatabase() {
  const url = new URL(dsn);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

await ensureDatabase();
const migration = start('migration', shared);
const [code] = await once(migration, 'exit');
if (code !== 0) {
  console.error(`migration failed with exit code ${code}`);
  process.exit(1);
}
start('api', [...shared, '-port', '3000']);
start('api', [...shared, '-port', '3001']);
start('scheduler', [...shared, '-port', '8101']);
start('scheduler', [...shared, '-port', '8102']);
start('worker', [...shared, '-port', '8201', '-queue', 'default:4']);
start('worker', [...shared, '-port', '8202', '-queue', 'default:4', '-queue', 'transcoding:2']);
console.log('cluster up: APIs on http://localhost:3000 and http://localhost:3001; Ctrl-C stops it');

let stopping = false;
async function stop() {
  if (stopping) process.exit(1);
  stopping = true;
  const running = processes.filter((child) => child.exitCode === null);
  for (const child of running) child.kill('SIGTERM');
  await Promise.all(running.map((child) => once(child, 'exit')));
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
