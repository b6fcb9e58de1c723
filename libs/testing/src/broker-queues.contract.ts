import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE, type Broker, type Message, type QueueInfo } from '@tork/domain';
import { jobMessage } from './fixtures.js';
import { deferred, sleep, waitUntil } from './wait.js';
import type { BrokerContractContext } from './broker.contract.js';

export interface BrokerQueuesContractOptions {
  /** What `unacked` says of a delivery a handler holds: the count (`exact`), or `null` where the adapter cannot tell. */
  readonly unacked: 'exact' | 'null';
}

/** How long a test watches for a delivery that must not happen. */
const QUIET_MS = 300;
/** Listings may come from statistics RabbitMQ refreshes every 5 s. */
const STATS_WAIT_MS = 15_000;

/**
 * The Broker port's queue views and purge, for one adapter (run by {@link brokerContract}, and on
 * its own for an adapter's other configurations). Queues are named per test, as in the contract.
 */
export function brokerQueuesContract(
  name: string,
  create: () => Promise<Broker>,
  options: BrokerQueuesContractOptions,
  cleanup?: (context: BrokerContractContext) => Promise<void>,
): void {
  describe(`${name} (broker queues contract)`, () => {
    let broker: Broker;
    let prefix: string;
    let queues: string[];

    const queueName = (suffix: string): string => {
      const queue = `${prefix}.${suffix}`;
      queues.push(queue);
      return queue;
    };

    beforeEach(async () => {
      prefix = `queues-${randomUUID().slice(0, 8)}`;
      queues = [];
      broker = await create();
    });

    afterEach(async () => {
      await broker.close();
      await cleanup?.({ queues: [...queues] });
    });

    const info = async (queue: string): Promise<QueueInfo> => {
      const found = await broker.queue(queue);
      if (found === undefined) throw new Error(`no queue ${queue}`);
      return found;
    };

    it('tells the size of a queue nobody consumes, and nothing of a queue that does not exist', async () => {
      const queue = queueName('waiting');
      await broker.publish(queue, jobMessage(1));
      await broker.publish(queue, jobMessage(2));

      expect(await info(queue)).toEqual({
        name: queue,
        size: 2,
        subscribers: 0,
        unacked: options.unacked === 'exact' ? 0 : null,
      });
      expect(await broker.queue(queueName('never-declared'))).toBeUndefined();
    });

    it('counts subscribers and the deliveries they hold apart from the messages waiting', async () => {
      const queue = queueName('busy');
      const release = deferred();
      const started: Message[] = [];
      await broker.subscribe(
        queue,
        async (message) => {
          started.push(message);
          await release.promise;
        },
        { concurrency: 1 },
      );
      try {
        for (const n of [1, 2, 3]) await broker.publish(queue, jobMessage(n));
        await waitUntil('the first delivery', () => started.length === 1);

        const expectedUnacked = options.unacked === 'exact' ? 1 : null;
        const held = await eventually(
          () => info(queue),
          (found) => found.size === 2 && found.unacked === expectedUnacked,
        );
        expect(held).toEqual({ name: queue, size: 2, subscribers: 1, unacked: expectedUnacked });
      } finally {
        release.resolve();
      }
    });

    it('lists the queues with their sizes, `default` among them', async () => {
      queues.push(DEFAULT_QUEUE);
      await broker.publish(DEFAULT_QUEUE, jobMessage(1));
      await broker.publish(DEFAULT_QUEUE, jobMessage(2));

      const listed = await eventually(
        () => broker.queues(),
        (all) => all.some((queue) => queue.name === DEFAULT_QUEUE && queue.size === 2),
      );
      expect(listed.find((queue) => queue.name === DEFAULT_QUEUE)).toMatchObject({ size: 2, subscribers: 0 });
      expect(new Set(listed.map((queue) => queue.name)).size).toBe(listed.length);
    });

    it('purges the waiting messages, answering the task ids of the task.run messages it dropped', async () => {
      const queue = queueName('purged');
      await broker.publish(queue, taskRun('task-1', queue));
      await broker.publish(queue, jobMessage('not-a-task'));
      await broker.publish(queue, taskRun('task-2', queue));

      const purged = await broker.purgeQueue(queue);

      expect(purged?.count).toBe(3);
      expect([...(purged?.taskIds ?? [])].sort()).toEqual(['task-1', 'task-2']);
      expect((await info(queue)).size).toBe(0);
      const received: Message[] = [];
      await broker.subscribe(
        queue,
        (message) => {
          received.push(message);
          return Promise.resolve();
        },
        { concurrency: 1 },
      );
      await broker.publish(queue, jobMessage('after'));
      await waitUntil('the message published after the purge', () => received.length === 1);
      await sleep(QUIET_MS);
      expect(received).toEqual([jobMessage('after')]);
    });

    it('leaves a delivery a handler holds to it, and purges nothing of a queue that does not exist', async () => {
      const queue = queueName('held');
      const release = deferred();
      const started: Message[] = [];
      await broker.subscribe(
        queue,
        async (message) => {
          started.push(message);
          await release.promise;
        },
        { concurrency: 1 },
      );
      await broker.publish(queue, taskRun('held', queue));
      await waitUntil('the held delivery', () => started.length === 1);
      await broker.publish(queue, taskRun('waiting', queue));
      await eventually(
        () => info(queue),
        (found) => found.size === 1,
      );

      const purged = await broker.purgeQueue(queue);
      release.resolve();

      expect(purged).toEqual({ count: 1, taskIds: ['waiting'] });
      await sleep(QUIET_MS);
      expect(started.map((message) => (message.type === 'task.run' ? message.task.id : '?'))).toEqual([
        'held',
      ]);
      expect(await broker.purgeQueue(queueName('never-declared'))).toBeUndefined();
    });
  });
}

function taskRun(id: string, queue: string): Message {
  return { type: 'task.run', task: { id, jobId: 'job-1', attempt: 1, queue, spec: { image: 'busybox' } } };
}

/** Polls an asynchronous read until `done` holds of it (statistics may lag), answering the last value. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + STATS_WAIT_MS;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(100);
  }
}
