import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import { promisify } from 'node:util';
import { connect, type ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeMessage,
  QUEUE,
  workerQueue,
  type Logger,
  type Message,
  type MessageHandler,
} from '@tork/domain';
import {
  brokerContract,
  brokerQueuesContract,
  deferred,
  describeWithService,
  jobMessage,
  rabbitMqAvailable,
  rabbitMqManagementAvailable,
  rabbitMqManagementTestUrl,
  rabbitMqTestUrl,
  sleep,
  waitUntil,
} from '@tork/testing';
import { RabbitMqBroker, type RabbitMqBrokerOptions } from './rabbitmq-broker.js';

const url = rabbitMqTestUrl();
const available = await rabbitMqAvailable(url);
const managementUrl = rabbitMqManagementTestUrl();
const managementAvailable = available && (await rabbitMqManagementAvailable(managementUrl));
const rabbitmqctlAvailable =
  available &&
  (await rabbitmqctl('list_connections', 'pid').then(
    () => true,
    () => false,
  ));

/** How long a test watches for a delivery that must not happen. */
const QUIET_MS = 300;
const FAST_RECONNECT = { initialDelayMs: 50, maxDelayMs: 500 };

describeWithService(
  'RabbitMQ',
  available,
  'start it with: rabbitmq-server -detached',
)('RabbitMqBroker', () => {
  /** A plain amqplib connection to look at and tidy up the server behind the broker's back. */
  let admin: ChannelModel;

  beforeAll(async () => {
    admin = await connect(url);
    admin.on('error', () => undefined);
  });

  afterAll(async () => {
    await admin.close();
  });

  async function deleteQueues(names: readonly string[]): Promise<void> {
    const channel = await admin.createChannel();
    for (const name of names) await channel.deleteQueue(name);
    await channel.close();
  }

  /** The queue's counts, or undefined when there is no such queue. */
  async function checkQueue(
    name: string,
  ): Promise<{ messageCount: number; consumerCount: number } | undefined> {
    const channel = await admin.createChannel();
    channel.on('error', () => undefined);
    try {
      const { messageCount, consumerCount } = await channel.checkQueue(name);
      await channel.close();
      return { messageCount, consumerCount };
    } catch {
      return undefined; // RabbitMQ closed the channel: no such queue
    }
  }

  let contractPrefix = '';
  brokerContract(
    'RabbitMqBroker',
    () => {
      contractPrefix = `test-${randomUUID().slice(0, 8)}.`;
      return RabbitMqBroker.connect({ url, queuePrefix: contractPrefix, reconnect: FAST_RECONNECT });
    },
    ({ queues }) => deleteQueues(queues.map((queue) => `${contractPrefix}${queue}`)),
    { unacked: 'null' },
    () => RabbitMqBroker.connect({ url, queuePrefix: contractPrefix, reconnect: FAST_RECONNECT }),
  );

  describeWithService(
    'the RabbitMQ management API',
    managementAvailable,
    'enable it with: rabbitmq-plugins enable rabbitmq_management',
  )('with the management API', () => {
    brokerQueuesContract(
      'RabbitMqBroker with the management API',
      () => {
        contractPrefix = `test-${randomUUID().slice(0, 8)}.`;
        return RabbitMqBroker.connect({ url, queuePrefix: contractPrefix, managementUrl });
      },
      { unacked: 'exact' },
      ({ queues }) => deleteQueues(queues.map((queue) => `${contractPrefix}${queue}`)),
    );
  });

  describe('adapter', () => {
    let prefix: string;
    let brokers: RabbitMqBroker[];
    let queues: Set<string>;

    beforeEach(() => {
      prefix = `test-${randomUUID().slice(0, 8)}.`;
      brokers = [];
      queues = new Set();
    });

    afterEach(async () => {
      await Promise.all(brokers.map((broker) => broker.close()));
      await deleteQueues([...queues].map((queue) => `${prefix}${queue}`));
    });

    /** A broker on this test's queues, closed after the test. */
    async function open(options: Partial<RabbitMqBrokerOptions> = {}): Promise<RabbitMqBroker> {
      const broker = await RabbitMqBroker.connect({
        url,
        queuePrefix: prefix,
        reconnect: FAST_RECONNECT,
        connectionName: `${prefix}broker`,
        ...options,
      });
      brokers.push(broker);
      return broker;
    }

    /** Registers a queue of this test for deletion; returns its name as the broker sees it. */
    function queue(name: string): string {
      queues.add(name);
      return name;
    }

    it('keeps a message published before anyone subscribed until a subscriber comes', async () => {
      const jobs = queue(QUEUE.jobs);
      const publisher = await open();
      await publisher.publish(jobs, jobMessage('early'));
      await publisher.close();
      expect(await checkQueue(`${prefix}${jobs}`)).toEqual({ messageCount: 1, consumerCount: 0 });

      const subscriber = await open();
      const received: Message[] = [];
      const attempts: number[] = [];
      await subscriber.subscribe(jobs, record(received, attempts), { concurrency: 1 });
      await waitUntil('the early message', () => received.length === 1);
      expect(received).toEqual([jobMessage('early')]);
      expect(attempts).toEqual([1]);
    });

    it('publishes persistent JSON messages typed with the message type', async () => {
      const jobs = queue(QUEUE.jobs);
      const broker = await open();
      await broker.publish(jobs, jobMessage('typed'));

      const channel = await admin.createChannel();
      const raw = await channel.get(`${prefix}${jobs}`, { noAck: true });
      await channel.close();
      if (raw === false) throw new Error('the message is not in the queue');
      expect(JSON.parse(raw.content.toString('utf8'))).toEqual({ v: 1, ...jobMessage('typed') });
      expect(raw.properties).toMatchObject({
        contentType: 'application/json',
        type: 'job.submitted',
        deliveryMode: 2,
        headers: { 'x-tork-attempt': 1 },
      });
    });

    it('keeps a delivery that is not a message of this version on the dead-letter queue, and goes on', async () => {
      const jobs = queue(QUEUE.jobs);
      const deadLetters = queue(QUEUE.deadLetters);
      const broker = await open();
      const received: Message[] = [];
      await broker.subscribe(jobs, record(received, []), { concurrency: 1 });
      const channel = await admin.createChannel();
      for (const body of [
        'not json',
        '{"v":1,"type":"job.submitted"}',
        '{"v":9,"type":"job.submitted","jobId":"x"}',
      ])
        channel.sendToQueue(`${prefix}${jobs}`, Buffer.from(body), { persistent: true });
      await broker.publish(jobs, jobMessage('after'));

      await waitUntil('the good message', () => received.length === 1);
      expect(received).toEqual([jobMessage('after')]);
      await expect
        .poll(async () => (await checkQueue(`${prefix}${deadLetters}`))?.messageCount, { timeout: 5000 })
        .toBe(3);
      const letter = await channel.get(`${prefix}${deadLetters}`, { noAck: true });
      await channel.close();
      if (letter === false) throw new Error('no dead letter');
      expect(letter.content.toString()).toBe('not json');
      expect(letter.properties.headers).toMatchObject({ 'x-tork-queue': jobs, 'x-tork-reason': 'not JSON' });
    });

    it('uses a work queue an older version declared without priorities as it is', async () => {
      const work = queue('legacy-work');
      const channel = await admin.createChannel();
      await channel.assertQueue(`${prefix}${work}`, { durable: true });
      await channel.close();
      const broker = await open();

      await broker.publish(work, jobMessage('low'), { priority: 1 });
      const received: Message[] = [];
      await broker.subscribe(work, record(received, []), { concurrency: 1 });
      await broker.publish(work, jobMessage('high'), { priority: 9 });

      await waitUntil('both messages', () => received.length === 2);
      expect(received).toEqual([jobMessage('low'), jobMessage('high')]);
      await expect(broker.healthCheck()).resolves.toBeUndefined();
    });

    it('publishes again to a queue deleted behind its back instead of losing the message', async () => {
      const jobs = queue(QUEUE.jobs);
      const broker = await open();
      await broker.publish(jobs, jobMessage(1));
      await deleteQueues([`${prefix}${jobs}`]);

      await broker.publish(jobs, jobMessage(2));

      expect(await checkQueue(`${prefix}${jobs}`)).toEqual({ messageCount: 1, consumerCount: 0 });
    });

    it('rejects a publish when the queue exists with other arguments, naming the queue', async () => {
      const jobs = queue(QUEUE.jobs);
      const channel = await admin.createChannel();
      await channel.assertQueue(`${prefix}${jobs}`, { durable: false });
      await channel.close();
      const broker = await open();

      await expect(broker.publish(jobs, jobMessage(1))).rejects.toThrow(`${prefix}${jobs}`);
      // The publisher channel is replaced: other queues still work.
      await broker.publish(queue(QUEUE.pending), jobMessage(2));
    });

    it('expires heartbeats older than the heartbeat queue TTL', async () => {
      const heartbeat = queue(QUEUE.heartbeat);
      const broker = await open({ heartbeatQueueTtlMs: 200 });
      const beat = (id: string): Message => ({
        type: 'node.heartbeat',
        node: { id, hostname: 'h', queues: {}, runningTasks: 0, startedAt: 'x', lastHeartbeatAt: 'y' },
      });
      await broker.publish(heartbeat, beat('stale'));
      await sleep(500);

      const received: Message[] = [];
      await broker.subscribe(heartbeat, record(received), { concurrency: 1 });
      await broker.publish(heartbeat, beat('fresh'));
      await waitUntil('the fresh heartbeat', () => received.length === 1);
      await sleep(QUIET_MS);
      expect(received).toEqual([beat('fresh')]);
    });

    it('a worker queue lives with its subscriber: others publish to it, it is gone once the subscriber closes', async () => {
      const commands = queue(workerQueue(`${prefix}node`));
      const worker = await open();
      const scheduler = await open();
      const received: Message[] = [];
      await worker.subscribe(commands, record(received), { concurrency: 1, exclusive: true });

      await scheduler.publish(commands, { type: 'task.cancel', taskId: 't1' });
      await waitUntil('the cancellation', () => received.length === 1);
      expect(await checkQueue(`${prefix}${commands}`)).toEqual({ messageCount: 0, consumerCount: 1 });

      await worker.close();
      expect(await checkQueue(`${prefix}${commands}`)).toBeUndefined();
    });

    it('refuses an exclusive subscription to a queue that is not a worker queue', async () => {
      const broker = await open();
      await expect(
        broker.subscribe(queue('default'), record([]), { concurrency: 1, exclusive: true }),
      ).rejects.toThrow(/worker queue/);
    });

    it('logs a delivery that is not a message, shape only, and goes on with the next', async () => {
      const jobs = queue(QUEUE.jobs);
      queue(QUEUE.deadLetters);
      const name = `${prefix}${jobs}`;
      const channel = await admin.createChannel();
      await channel.assertQueue(name, { durable: true });
      channel.sendToQueue(name, Buffer.from('{not json'));
      channel.sendToQueue(name, Buffer.from('{"no":"type"}'));
      channel.sendToQueue(name, encodeMessage(jobMessage('good')));
      await channel.close();
      const logs: LogEntry[] = [];
      const broker = await open({ logger: recordingLogger(logs) });

      const received: Message[] = [];
      await broker.subscribe(jobs, record(received), { concurrency: 1 });
      await waitUntil('the good message', () => received.length === 1);
      await sleep(QUIET_MS);

      expect(received).toEqual([jobMessage('good')]);
      expect(logs.filter((entry) => entry.level === 'error').map((entry) => entry.message)).toEqual([
        'a delivery that is not a message of this version goes to the dead-letter queue',
        'a delivery that is not a message of this version goes to the dead-letter queue',
      ]);
      expect(await checkQueue(name)).toEqual({ messageCount: 0, consumerCount: 1 });
    });

    it('counts a redelivery after a consumer died holding the message, and gives up past maxDeliveries', async () => {
      const jobs = queue(QUEUE.jobs);
      const name = `${prefix}${jobs}`;
      const channel = await admin.createChannel();
      await channel.assertQueue(name, { durable: true });
      const headers = (attempt: number) => ({ headers: { 'x-tork-attempt': attempt } });
      channel.sendToQueue(name, encodeMessage(jobMessage('crashed-once')), headers(1));
      channel.sendToQueue(name, encodeMessage(jobMessage('crashed-thrice')), headers(3));
      // A consumer takes both and dies without acknowledging: RabbitMQ marks them redelivered.
      for (let n = 0; n < 2; n++) {
        const taken = await channel.get(name, { noAck: false });
        if (taken === false) throw new Error('expected a message');
      }
      await channel.close();

      const broker = await open();
      const received: Message[] = [];
      const attempts: number[] = [];
      const givenUp: { message: Message; error: string }[] = [];
      await broker.subscribe(jobs, record(received, attempts), {
        concurrency: 1,
        maxDeliveries: 3,
        onGiveUp: (message, error) => {
          givenUp.push({ message, error: error instanceof Error ? error.message : String(error) });
          return Promise.resolve();
        },
      });
      await waitUntil('one handled, one given up', () => received.length === 1 && givenUp.length === 1);
      await sleep(QUIET_MS);

      expect(received).toEqual([jobMessage('crashed-once')]);
      expect(attempts).toEqual([2]);
      expect(givenUp).toEqual([
        {
          message: jobMessage('crashed-thrice'),
          error: 'delivered 3 times; the last consumer stopped before acknowledging it',
        },
      ]);
    });

    it('publish waits out an outage, rejects once it lasts longer than outageWaitMs, and healthCheck rejects meanwhile', async () => {
      const proxy = await TcpProxy.start(new URL(url));
      try {
        const jobs = queue(QUEUE.jobs);
        const broker = await open({ url: proxy.url(url), outageWaitMs: 1_000 });
        await broker.publish(jobs, jobMessage('before'));

        await proxy.stop();
        await expect(waitForRejection(() => broker.healthCheck())).resolves.toMatch(/not connected/);
        await expect(broker.publish(jobs, jobMessage('lost'))).rejects.toThrow(
          'RabbitMQ unreachable: no connection for 1000 ms',
        );

        const during = broker.publish(jobs, jobMessage('during'));
        await sleep(300);
        await proxy.resume();
        await during;
        await expect(broker.healthCheck()).resolves.toBeUndefined();

        expect(await checkQueue(`${prefix}${jobs}`)).toMatchObject({ messageCount: 2 });
      } finally {
        await proxy.stop();
      }
    });

    describeWithService(
      'rabbitmqctl',
      rabbitmqctlAvailable,
      'run the tests as a user allowed to run rabbitmqctl (root), next to the server',
    )('with rabbitmqctl', () => {
      it('keeps event subscriptions across a connection kill: events published after the reconnection arrive', async () => {
        const logs: LogEntry[] = [];
        const publisher = await open({ connectionName: `${prefix}events-publisher` });
        const listener = await open({
          connectionName: `${prefix}events-listener`,
          logger: recordingLogger(logs),
        });
        const seen: unknown[] = [];
        await listener.subscribeEvents(`${prefix}logs.#`, (_topic, event) => seen.push(event['n']));
        await publisher.publishEvent(`${prefix}logs.j.t`, { n: 1 });
        await waitUntil('the first event', () => seen.length === 1);

        expect(await killConnections(`${prefix}events-listener`)).toBe(1);
        await waitUntil('the reconnection', () =>
          logs.some((entry) => entry.message === 'reconnected to RabbitMQ'),
        );
        // Bound again on the new connection: events published from now on arrive (those during the outage may not).
        for (let tries = 0; !seen.includes(2); tries++) {
          if (tries >= 50) throw new Error('no event arrived after the reconnection');
          await publisher.publishEvent(`${prefix}logs.j.t`, { n: 2 });
          await sleep(100);
        }
        expect(seen[0]).toBe(1);
      });

      it('follows many topics through one queue per connection, a binding per pattern, gone with its last listener', async () => {
        const publisher = await open({ connectionName: `${prefix}topics-publisher` });
        const listener = await open({ connectionName: `${prefix}topics-listener` });
        const seen: string[] = [];
        const stops: (() => Promise<void>)[] = [];
        for (let job = 0; job < 20; job++)
          stops.push(await listener.subscribeEvents(`${prefix}events.j${job}`, (topic) => seen.push(topic)));
        const again = await listener.subscribeEvents(`${prefix}events.j5`, (topic) =>
          seen.push(`again ${topic}`),
        );

        await publisher.publishEvent(`${prefix}events.j5`, { jobId: 'j5' });
        await waitUntil('the event, to both listeners of j5', () => seen.length === 2);
        expect(new Set(seen)).toEqual(new Set([`${prefix}events.j5`, `again ${prefix}events.j5`]));
        const inbox = await ownQueues(`${prefix}topics-listener`);
        expect(inbox).toHaveLength(1);
        const bindings = () => eventBindings(`${prefix}tork.events`, inbox[0] ?? '');
        expect(await bindings()).toHaveLength(20);

        await again();
        expect(await bindings()).toHaveLength(20);
        await stops[5]?.();
        expect(await bindings()).not.toContain(`${prefix}events.j5`);
        expect(await bindings()).toHaveLength(19);
        await publisher.publishEvent(`${prefix}events.j5`, { jobId: 'j5' });
        await publisher.publishEvent(`${prefix}events.j6`, { jobId: 'j6' });
        await waitUntil('the event of j6', () => seen.length === 3);
        expect(seen[2]).toBe(`${prefix}events.j6`);
      });

      it('survives a broker-side connection kill: the publisher reconnects, the subscriber resumes, nothing is lost', async () => {
        const jobs = queue(QUEUE.jobs);
        const logs: LogEntry[] = [];
        const publisher = await open({ connectionName: `${prefix}publisher` });
        const subscriber = await open({
          connectionName: `${prefix}subscriber`,
          logger: recordingLogger(logs),
        });
        const gate = deferred();
        const deliveries: string[] = [];
        await subscriber.subscribe(
          jobs,
          async (message, delivery) => {
            const id = message.type === 'job.submitted' ? message.jobId : message.type;
            deliveries.push(`${id}#${delivery.attempt}`);
            if (id === 'job-held' && delivery.attempt === 1) await gate.promise;
          },
          { concurrency: 2 },
        );
        await publisher.publish(jobs, jobMessage('held'));
        await waitUntil('the held message in its handler', () => deliveries.length === 1);

        expect(await killConnections(`${prefix}publisher`, `${prefix}subscriber`)).toBe(2);
        // Published while the connection is down: it waits for the reconnection.
        await publisher.publish(jobs, jobMessage('during'));

        // The delivery in flight died with its channel: RabbitMQ gives it again, counted as a second attempt.
        await waitUntil('the redelivery and the message published meanwhile', () => deliveries.length === 3);
        // The first handler finishes after its channel died: it must not acknowledge on the new channel.
        gate.resolve();
        await sleep(QUIET_MS);
        await publisher.publish(jobs, jobMessage('after'));
        await waitUntil('the message published after', () => deliveries.length === 4);
        await sleep(QUIET_MS);

        expect(deliveries.slice(0, 1)).toEqual(['job-held#1']);
        expect(deliveries.slice(1, 3).sort()).toEqual(['job-during#1', 'job-held#2']);
        expect(deliveries.slice(3)).toEqual(['job-after#1']);
        expect(logs.filter((entry) => entry.message === 'consumer channel error')).toEqual([]);
        expect(await checkQueue(`${prefix}${jobs}`)).toEqual({ messageCount: 0, consumerCount: 1 });
      });

      /** A manual-ack subscription like a worker's: `ack()` once the task has started, then run it until `gate`. */
      async function longTasks(
        worker: RabbitMqBroker,
        tasks: string,
        started: Promise<void>,
        concurrency = 1,
      ) {
        const deliveries: string[] = [];
        const gate = deferred();
        await worker.subscribe(
          tasks,
          async (message, delivery) => {
            deliveries.push(
              `${message.type === 'job.submitted' ? message.jobId : message.type}#${delivery.attempt}`,
            );
            await started;
            delivery.ack();
            if (deliveries.length === 1) await gate.promise;
          },
          { concurrency, ack: 'manual' },
        );
        return { deliveries, gate };
      }

      it('with manual ack, a task acknowledged at its start is not run again when the connection is lost mid-task', async () => {
        const tasks = queue('default');
        const logs: LogEntry[] = [];
        const worker = await open({ connectionName: `${prefix}worker`, logger: recordingLogger(logs) });
        const { deliveries, gate } = await longTasks(worker, tasks, Promise.resolve());
        await worker.publish(tasks, jobMessage('long'));
        await waitUntil('the task to start', () => deliveries.length === 1);

        // Nothing held unacknowledged, so nothing RabbitMQ's consumer_timeout could take back.
        await expect
          .poll(() => queueFacts(`${prefix}${tasks}`))
          .toMatchObject({ messages: '0', messages_unacknowledged: '0' });
        expect(await killConnections(`${prefix}worker`)).toBe(1);
        await waitUntil('the reconnection', () =>
          logs.some((entry) => entry.message === 'reconnected to RabbitMQ'),
        );
        await sleep(QUIET_MS);
        expect(deliveries).toEqual(['job-long#1']);

        gate.resolve();
        await worker.publish(tasks, jobMessage('next'));
        await waitUntil('the next task', () => deliveries.length === 2);
        expect(deliveries).toEqual(['job-long#1', 'job-next#1']);
      });

      it('with manual ack, a task whose consumer is lost before the ack is delivered again, counted as an attempt', async () => {
        const tasks = queue('default');
        const logs: LogEntry[] = [];
        const worker = await open({ connectionName: `${prefix}worker`, logger: recordingLogger(logs) });
        const start = deferred();
        // Two slots: the first handler still waits for its start, on a channel that is gone.
        const { deliveries, gate } = await longTasks(worker, tasks, start.promise, 2);
        await worker.publish(tasks, jobMessage('stranded'));
        await waitUntil('the delivery', () => deliveries.length === 1);
        expect(await queueFacts(`${prefix}${tasks}`)).toMatchObject({ messages_unacknowledged: '1' });

        // As if the worker died before its start was durable: RabbitMQ takes the delivery back.
        expect(await killConnections(`${prefix}worker`)).toBe(1);
        await waitUntil('the redelivery', () => deliveries.length === 2);
        start.resolve();
        gate.resolve();
        await sleep(QUIET_MS);
        expect(deliveries).toEqual(['job-stranded#1', 'job-stranded#2']);
        await expect
          .poll(() => queueFacts(`${prefix}${tasks}`))
          .toMatchObject({ messages: '0', messages_unacknowledged: '0' });
      });

      it('with manual ack, a task acknowledged at its start keeps its slot: the next waits in the queue for a free consumer', async () => {
        const tasks = queue('default');
        const busy = await open({ connectionName: `${prefix}busy` });
        const { deliveries, gate } = await longTasks(busy, tasks, Promise.resolve());
        await busy.publish(tasks, jobMessage('long'));
        await waitUntil('the long task', () => deliveries.length === 1);
        await busy.publish(tasks, jobMessage('next'));
        await sleep(QUIET_MS);
        // Not sent to the busy worker, whose acknowledgement freed RabbitMQ's count but not its slot.
        expect(await queueFacts(`${prefix}${tasks}`)).toMatchObject({
          messages: '1',
          messages_unacknowledged: '0',
        });

        const idle = await open({ connectionName: `${prefix}idle` });
        const elsewhere: string[] = [];
        await idle.subscribe(
          tasks,
          (message, delivery) => {
            elsewhere.push(
              `${message.type === 'job.submitted' ? message.jobId : message.type}#${delivery.attempt}`,
            );
            return Promise.resolve();
          },
          { concurrency: 1, ack: 'manual' },
        );
        await waitUntil('the next task, on the idle worker', () => elsewhere.length === 1);
        expect(elsewhere).toEqual(['job-next#1']);
        gate.resolve();
        await busy.publish(tasks, jobMessage('last'));
        await waitUntil('the last task', () => deliveries.length + elsewhere.length === 3);
        expect([...deliveries, ...elsewhere].sort()).toEqual(['job-last#1', 'job-long#1', 'job-next#1']);
      });

      it('declares durable queues, the heartbeat queue with a message TTL, worker queues auto-deleted', async () => {
        const broker = await open({ heartbeatQueueTtlMs: 45_000 });
        await broker.publish(queue(QUEUE.jobs), jobMessage(1));
        await broker.publish(queue(QUEUE.heartbeat), jobMessage(2));
        await broker.subscribe(queue(workerQueue(`${prefix}node`)), record([]), {
          concurrency: 1,
          exclusive: true,
        });

        expect(await queueFacts(`${prefix}${QUEUE.jobs}`)).toMatchObject({
          durable: 'true',
          auto_delete: 'false',
        });
        expect(await queueFacts(`${prefix}${QUEUE.heartbeat}`)).toMatchObject({
          durable: 'true',
          arguments: expect.stringContaining('45000') as unknown,
        });
        expect(await queueFacts(`${prefix}${workerQueue(`${prefix}node`)}`)).toMatchObject({
          auto_delete: 'true',
        });
      });

      it('rejects a publish RabbitMQ refuses (nack), naming the queue', async () => {
        const policy = `${prefix}reject`;
        const pattern = `^${prefix.replaceAll('.', '\\.')}`;
        await rabbitmqctl(
          'set_policy',
          '--apply-to',
          'queues',
          policy,
          pattern,
          '{"max-length":0,"overflow":"reject-publish"}',
        );
        try {
          const broker = await open();
          await expect(broker.publish(queue(QUEUE.jobs), jobMessage(1))).rejects.toThrow(
            `RabbitMQ refused a message for ${prefix}${QUEUE.jobs}`,
          );
        } finally {
          await rabbitmqctl('clear_policy', policy);
        }
      });
    });
  });
});

interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly fields: object;
}

function recordingLogger(into: LogEntry[]): Logger {
  const log =
    (level: string) =>
    (fields: object, message: string): void => {
      into.push({ level, message, fields });
    };
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

function record(into: Message[], attempts: number[] = []): MessageHandler {
  return (message, delivery) => {
    into.push(message);
    attempts.push(delivery.attempt);
    return Promise.resolve();
  };
}

async function waitForRejection(attempt: () => Promise<unknown>): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await attempt();
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error('still resolving after 10 s');
    await sleep(20);
  }
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 20_000 });
  return stdout;
}

/** Closes, server side, the connections with these names; returns how many it closed. */
async function killConnections(...names: string[]): Promise<number> {
  const listing = await rabbitmqctl('list_connections', '--no-table-headers', 'pid', 'client_properties');
  const pids = listing
    .split('\n')
    .filter((line) => names.some((name) => line.includes(`{"connection_name","${name}"}`)))
    .map((line) => line.split('\t')[0] ?? '');
  for (const pid of pids) await rabbitmqctl('close_connection', pid, 'killed by a test');
  return pids.length;
}

/** The names of the queues owned by the connection with this name (exclusive queues). */
async function ownQueues(connectionName: string): Promise<string[]> {
  const connections = await rabbitmqctl('list_connections', '--no-table-headers', 'pid', 'client_properties');
  const pid = connections
    .split('\n')
    .find((line) => line.includes(`{"connection_name","${connectionName}"}`))
    ?.split('\t')[0];
  const queues = await rabbitmqctl('list_queues', '--no-table-headers', 'name', 'owner_pid');
  return queues
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((cells) => pid !== undefined && cells[1] === pid)
    .map((cells) => cells[0] ?? '');
}

/** The routing keys that bind a queue to an exchange. */
async function eventBindings(exchange: string, queue: string): Promise<string[]> {
  const listing = await rabbitmqctl(
    'list_bindings',
    '--no-table-headers',
    'source_name',
    'destination_name',
    'routing_key',
  );
  return listing
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((cells) => cells[0] === exchange && cells[1] === queue)
    .map((cells) => cells[2] ?? '');
}

/** One queue's row of `rabbitmqctl list_queues`, by column. */
async function queueFacts(name: string): Promise<Record<string, string> | undefined> {
  const columns = ['name', 'durable', 'auto_delete', 'arguments', 'messages', 'messages_unacknowledged'];
  const listing = await rabbitmqctl('list_queues', '--no-table-headers', ...columns);
  const row = listing
    .split('\n')
    .map((line) => line.split('\t'))
    .find((cells) => cells[0] === name);
  return row === undefined
    ? undefined
    : Object.fromEntries(columns.map((column, i) => [column, row[i] ?? '']));
}

/** A TCP proxy in front of RabbitMQ that a test can take down (dropping every connection) and bring back. */
class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: URL,
    private port: number,
  ) {}

  static async start(target: URL): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0);
    await proxy.resume();
    return proxy;
  }

  /** `amqpUrl` with the proxy's port. */
  url(amqpUrl: string): string {
    const proxied = new URL(amqpUrl);
    proxied.port = String(this.port);
    return proxied.toString();
  }

  async resume(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(this.target.port || 5672), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined)
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  }
}
