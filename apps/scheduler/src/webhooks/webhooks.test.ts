import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import {
  jobChange,
  newJob,
  noopMetrics,
  parseJobSpec,
  silentLogger,
  verifyWebhookSignature,
  type BrokerEvent,
  type Job,
} from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleProgress } from '../handlers/progress.js';
import { RetryTimers } from '../retry-timers.js';
import type { SchedulerContext } from '../scheduler-context.js';
import { JobEventFeed } from './job-event-feed.js';
import { WebhookSender } from './webhook-sender.js';

const START = Date.UTC(2024, 0, 1, 12);

describe('job event feed and webhook sender', () => {
  let server: Server;
  let url: string;
  let received: { headers: IncomingHttpHeaders; body: string }[];
  let statuses: number[];
  let datastore: InMemoryDatastore;
  let broker: InMemoryBroker;
  let ctx: SchedulerContext;
  let clock: number;

  beforeEach(async () => {
    received = [];
    statuses = [];
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        const status = statuses.shift() ?? 200;
        response.writeHead(status, status === 429 ? { 'retry-after': '120' } : {}).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    url = `http://127.0.0.1:${address.port}/hook`;
    datastore = new InMemoryDatastore();
    broker = new InMemoryBroker();
    clock = START;
    ctx = {
      datastore,
      broker,
      logger: silentLogger,
      now: () => new Date(clock).toISOString(),
      retryTimers: new RetryTimers(broker, silentLogger),
      metrics: noopMetrics,
    };
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await broker.close();
  });

  const feed = () => new JobEventFeed(ctx, { batch: 100, gapGraceMs: 0, onEnqueued: () => undefined });
  const sender = () =>
    new WebhookSender(ctx, {
      secret: 'shh',
      allowLinkLocal: false,
      batch: 10,
      leaseMs: 30_000,
      clock: () => clock,
      random: () => 0,
    });

  async function storedJob(webhooks: object[]): Promise<Job> {
    const job = newJob(
      parseJobSpec({ name: 'hooked', tasks: [{ image: 'busybox' }], webhooks }),
      new Date(clock).toISOString(),
    );
    await datastore.jobs.create(job);
    return job;
  }

  it('retries a 503 at its backoff time, then delivers the same delivery, signed', async () => {
    const job = await storedJob([{ url }]);
    statuses = [503];
    await feed().pass();
    const out = sender();

    expect(await out.pass()).toBe(1);
    const [delivery] = await datastore.webhooks.listByJob(job.id);
    expect(delivery).toMatchObject({ state: 'PENDING', attempts: 1, lastError: 'HTTP 503' });
    expect(delivery?.nextAttemptAt).toBe(new Date(START + 500).toISOString());

    expect(await out.pass()).toBe(0);
    clock += 500;
    expect(await out.pass()).toBe(1);

    expect(await datastore.webhooks.get(delivery?.id ?? '')).toMatchObject({
      state: 'DELIVERED',
      attempts: 2,
    });
    expect(received.map((r) => r.headers['tork-delivery'])).toEqual([delivery?.id, delivery?.id]);
    const last = received[1];
    expect(
      verifyWebhookSignature(
        'shh',
        String(last?.headers['tork-timestamp']),
        last?.body ?? '',
        String(last?.headers['tork-signature']),
      ),
    ).toBe(true);
    expect(JSON.parse(last?.body ?? '{}')).toMatchObject({ id: job.id, state: 'PENDING' });
  });

  it('waits as long as Retry-After asks', async () => {
    const job = await storedJob([{ url }]);
    statuses = [429];
    await feed().pass();
    await sender().pass();
    const [delivery] = await datastore.webhooks.listByJob(job.id);
    expect(delivery?.nextAttemptAt).toBe(new Date(START + 120_000).toISOString());
  });

  it('gives up on a 4xx at once, and refuses a link-local address without sending', async () => {
    const job = await storedJob([{ url }, { url: 'http://169.254.169.254/latest/meta-data' }]);
    statuses = [404];
    await feed().pass();
    await sender().pass();
    const deliveries = await datastore.webhooks.listByJob(job.id);
    expect(deliveries.map((d) => [d.webhookIndex, d.state, d.lastError])).toEqual([
      [0, 'FAILED', 'HTTP 404'],
      [1, 'FAILED', expect.stringContaining('refused: 169.254.169.254 is a cloud metadata address')],
    ]);
    expect(received).toHaveLength(1);
  });

  it('reads each event once, and publishes a job\u2019s end on its topic (a cancelled job too)', async () => {
    const topics: [string, BrokerEvent][] = [];
    await broker.subscribeEvents('job.*', (topic, event) => topics.push([topic, event]));
    const job = await storedJob([{ url, if: "job.State == 'CANCELLED'" }]);
    await datastore.jobs.update(job.id, jobChange('cancel', new Date(clock).toISOString()));
    await feed().pass();
    await feed().pass();

    expect((await datastore.webhooks.listByJob(job.id)).map((d) => d.event)).toEqual(['job.StateChange']);
    expect(topics).toEqual([
      ['job.cancelled', expect.objectContaining({ jobId: job.id, state: 'CANCELLED' })],
    ]);
  });

  it('reads a job without webhooks once over all its events, and one with webhooks for each pass', async () => {
    const topics: string[] = [];
    await broker.subscribeEvents('job.*', (topic) => topics.push(topic));
    const plain = await storedJob([]);
    const hooked = await storedJob([{ url, event: 'job.StateChange' }]);
    const reads: string[] = [];
    const get = datastore.jobs.get.bind(datastore.jobs);
    datastore.jobs.get = (id) => {
      reads.push(id);
      return get(id);
    };
    const events = feed();
    const at = (ms: number) => new Date(clock + ms).toISOString();
    for (const [transition, ms] of [
      ['schedule', 1],
      ['start', 2],
      ['complete', 3],
    ] as const) {
      for (const job of [plain, hooked]) await datastore.jobs.update(job.id, jobChange(transition, at(ms)));
      await events.pass();
    }

    expect(reads.filter((id) => id === plain.id)).toHaveLength(1);
    expect(reads.filter((id) => id === hooked.id)).toHaveLength(3);
    // The end of a job read once is still published, with what it carries.
    expect(topics).toEqual(['job.completed', 'job.completed']);
    expect((await datastore.webhooks.listByJob(hooked.id)).length).toBe(4);
  });

  it('records progress deliveries, one waiting per webhook and task, and sends the latest progress', async () => {
    const job = await storedJob([
      { url, event: 'task.Progress' },
      { url, event: 'job.Progress' },
      { url, event: 'task.Progress', if: 'task.progress > 60' },
    ]);
    const [task] = await datastore.tasks.create([{ ...taskFixture(job), state: 'RUNNING' }]);
    const report = (progress: number) =>
      handleProgress(ctx, {
        type: 'task.progress',
        jobId: job.id,
        taskId: task?.id ?? '',
        progress,
        at: new Date(clock).toISOString(),
      });
    await report(20);
    await report(50);

    const waiting = await datastore.webhooks.listByJob(job.id);
    expect(waiting.map((d) => [d.webhookIndex, d.event, d.taskId])).toEqual([
      [0, 'task.Progress', task?.id],
      [1, 'job.Progress', undefined],
    ]);
    expect(await sender().pass()).toBe(2);
    const bodies = received.map((r) => JSON.parse(r.body) as { id: string; progress: number });
    expect(bodies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: task?.id, progress: 50 }),
        expect.objectContaining({ id: job.id, progress: 50 }),
      ]),
    );
    expect(received.map((r) => r.headers['tork-event']).sort()).toEqual(['job.Progress', 'task.Progress']);

    // Sent ones are not replaced: the next progress makes new deliveries, the `if` now true too.
    clock += 1_000;
    await report(70);
    expect(
      (await datastore.webhooks.listByJob(job.id)).map((d) => [
        d.webhookIndex,
        d.state,
        (JSON.parse(d.body) as { progress?: number }).progress === 70,
      ]),
    ).toEqual([
      [0, 'DELIVERED', false],
      [1, 'DELIVERED', false],
      [0, 'PENDING', true],
      [1, 'PENDING', true],
      [2, 'PENDING', true],
    ]);
  });
});
