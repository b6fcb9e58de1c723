import { connect as connectTcp } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectAmqp } from 'amqplib';
import { Queue, Worker } from 'bullmq';
import { pool, row, rssSampler, run } from './measure.js';
import { RABBITMQ, round2, serviceCpuMs, signal, SUBMITTERS, type Outcome, type Sizes } from './scenarios.js';

// The in-process peers on the other services: BullMQ on Redis, and RabbitMQ's own limit.

const REDIS = { host: '127.0.0.1', port: 6379 };

/** Starts the local Redis (Debian's redis-server) when nothing answers on its port. */
async function ensureRedis(): Promise<void> {
  const up = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connectTcp(REDIS.port, REDIS.host);
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
  if (await up()) return;
  process.stderr.write('starting redis-server...\n');
  await run('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    REDIS.host,
    '--port',
    String(REDIS.port),
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  for (let i = 0; i < 50 && !(await up()); i++) await sleep(100);
}

/** The peer: BullMQ on the local Redis, a no-op processor, the same jobs at the same concurrency. */
export async function bullmq(size: Sizes): Promise<Outcome> {
  await ensureRedis();
  const name = `bench-${Date.now()}`;
  const queue = new Queue(name, { connection: REDIS });
  const latencies: number[] = [];
  let completed = 0;
  let first = Infinity;
  let last = 0;
  const { done, resolve } = signal();
  const worker = new Worker(name, () => Promise.resolve(), {
    connection: REDIS,
    concurrency: size.concurrency,
  });
  worker.on('completed', (job) => {
    latencies.push((job.processedOn ?? 0) - job.timestamp);
    first = Math.min(first, job.timestamp);
    last = Math.max(last, job.finishedOn ?? Date.now());
    if (++completed === size.jobs) resolve();
  });
  const rss = rssSampler(process.pid);
  try {
    await pool(size.jobs, SUBMITTERS, (i) => queue.add('noop', { i }, { removeOnComplete: true }));
    await done;
    latencies.sort((a, b) => a - b);
    return { rows: [row('bullmq', size.jobs, size.concurrency, (last - first) / 1000, latencies, rss())] };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/**
 * The broker's limit: persistent publishes with confirms, consumed and acknowledged. Per message it
 * reports the CPU of this process (publisher and consumer) and of RabbitMQ: what one hop of a task
 * costs at least, the engine's `default` queue being such a hop.
 */
export async function amqpRaw(size: Sizes): Promise<Outcome> {
  const connection = await connectAmqp(RABBITMQ, { noDelay: true });
  const queue = `bench-raw-${Date.now()}`;
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  await publisher.assertQueue(queue, { durable: true });
  await consumer.prefetch(size.concurrency);
  const latencies: number[] = [];
  let received = 0;
  const { done, resolve } = signal();
  await consumer.consume(queue, (message) => {
    if (message === null) return;
    latencies.push(Date.now() - Number(message.content.toString()));
    consumer.ack(message);
    if (++received === size.jobs) resolve();
  });
  const before = serviceCpuMs();
  const started = Date.now();
  await pool(size.jobs, SUBMITTERS, async () => {
    publisher.sendToQueue(queue, Buffer.from(String(Date.now())), { persistent: true });
    await publisher.waitForConfirms();
  });
  await done;
  const seconds = (Date.now() - started) / 1000;
  const after = serviceCpuMs();
  const per = (name: string): number => round2(((after[name] ?? 0) - (before[name] ?? 0)) / size.jobs);
  await consumer.close();
  await publisher.deleteQueue(queue);
  await connection.close();
  latencies.sort((a, b) => a - b);
  return {
    rows: [row('amqp-raw', size.jobs, size.concurrency, seconds, latencies, 0)],
    perTask: { 'client CPU ms': per('bench'), 'RabbitMQ CPU ms': per('RabbitMQ') },
  };
}
