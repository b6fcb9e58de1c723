import { beforeEach, describe, expect, it } from 'vitest';
import { type Broker, type Message, type MessageHandler } from '@tork/domain';
import { brokerEventsContract } from './broker-events.contract.js';
import { brokerFixture, collect, QUIET_MS, type BrokerContractContext } from './broker-fixture.js';
import { brokerQueuesContract, type BrokerQueuesContractOptions } from './broker-queues.contract.js';
import { brokerRetriesContract } from './broker-retries.contract.js';
import { jobMessage } from './fixtures.js';
import { deferred, sleep, waitUntil } from './wait.js';

export type { BrokerContractContext } from './broker-fixture.js';

/**
 * Registers the broker contract for one adapter. `create` is called before each test and must
 * return an open broker; every test uses queues of its own (a random prefix), so adapters may
 * share a server. The broker is closed after each test, then `cleanup` runs (e.g. to delete the
 * queues left on a server).
 */
export function brokerContract(
  name: string,
  create: () => Promise<Broker>,
  cleanup?: (context: BrokerContractContext) => Promise<void>,
  queueOptions: BrokerQueuesContractOptions = { unacked: 'exact' },
  /** Another connection to the same broker as `broker`, as a second process has (default: `broker` itself). */
  peer: (broker: Broker) => Promise<Broker> = (broker) => Promise.resolve(broker),
): void {
  brokerQueuesContract(name, create, queueOptions, cleanup);
  brokerRetriesContract(name, create, cleanup);
  brokerEventsContract(name, create, cleanup, peer);
  describe(`${name} (broker contract)`, () => {
    const fixture = brokerFixture(create, cleanup);
    const { queueName, workerQueueName, closeBroker } = fixture;
    let broker: Broker;
    beforeEach(() => {
      broker = fixture.broker;
    });

    it('delivers a published message to its subscriber with the JSON intact', async () => {
      const queue = queueName('round-trip');
      const received: Message[] = [];
      const attempts: number[] = [];
      await broker.subscribe(queue, collect(received, attempts), { concurrency: 1 });
      const message: Message = {
        type: 'task.run',
        task: {
          id: 'a1b2',
          jobId: 'c3d4',
          attempt: 2,
          queue: 'default',
          spec: {
            name: 'say hello',
            image: 'ubuntu:mantic',
            run: 'echo -n "hello world" \\\n  && echo ünïcødé ✓',
            env: { INTRO: 'hello world', EMPTY: '' },
            volumes: ['/tmp'],
            retry: { limit: 3, initialDelay: '5s', scalingFactor: null },
            limits: { cpus: 0.5, memory: '10m' },
            pre: [{ image: 'alpine:3.18.3', run: 'true' }],
            post: [],
          },
        },
      };
      await broker.publish(queue, message);

      await waitUntil('the message', () => received.length === 1);
      expect(received[0]).toEqual(message);
      expect(attempts).toEqual([1]);
    });

    it('delivers a message published before anyone subscribed, once a subscriber comes', async () => {
      const queue = queueName('early');
      await broker.publish(queue, jobMessage(1));
      await broker.publish(queue, jobMessage(2));
      await broker.publish(queue, jobMessage(3));

      const received: Message[] = [];
      await broker.subscribe(queue, collect(received), { concurrency: 1 });
      await waitUntil('three messages', () => received.length >= 3);
      await sleep(QUIET_MS);

      expect(sortedIds(received)).toEqual(['job-1', 'job-2', 'job-3']);
    });

    it('delivers only to the subscribers of the queue a message was published to', async () => {
      const queueA = queueName('a');
      const queueB = queueName('b');
      const receivedA: Message[] = [];
      const receivedB: Message[] = [];
      await broker.subscribe(queueA, collect(receivedA), { concurrency: 1 });
      await broker.subscribe(queueB, collect(receivedB), { concurrency: 1 });

      await broker.publish(queueB, jobMessage('for-b'));
      await waitUntil('the message on b', () => receivedB.length === 1);
      await sleep(QUIET_MS);

      expect(receivedA).toEqual([]);
      expect(receivedB).toEqual([jobMessage('for-b')]);
    });

    it('delivers the messages of a work queue by priority, highest first, in order within one', async () => {
      const queue = queueName('work');
      for (const [n, priority] of [
        [1, 0],
        [2, 0],
        [3, 7],
        [4, 3],
        [5, 7],
      ] as const)
        await broker.publish(queue, jobMessage(n), { priority });
      const received: Message[] = [];
      await broker.subscribe(
        queue,
        (message) => {
          received.push(message);
          return Promise.resolve();
        },
        { concurrency: 1 },
      );
      await waitUntil('every message', () => received.length === 5);
      expect(received).toEqual([jobMessage(3), jobMessage(5), jobMessage(4), jobMessage(1), jobMessage(2)]);
    });

    it('gives each message to exactly one of several competing consumers', async () => {
      const queue = queueName('competing');
      const first: Message[] = [];
      const second: Message[] = [];
      const slowly =
        (into: Message[]): MessageHandler =>
        async (message) => {
          into.push(message);
          await sleep(5);
        };
      await broker.subscribe(queue, slowly(first), { concurrency: 2 });
      await broker.subscribe(queue, slowly(second), { concurrency: 2 });

      const published = Array.from({ length: 20 }, (_, n) => jobMessage(n));
      for (const message of published) await broker.publish(queue, message);
      await waitUntil('20 deliveries', () => first.length + second.length >= 20);
      await sleep(QUIET_MS);

      expect(sortedIds([...first, ...second])).toEqual(sortedIds(published));
      expect(first.length).toBeGreaterThan(0);
      expect(second.length).toBeGreaterThan(0);
    });

    it('never runs more handlers of a subscription at once than its concurrency', async () => {
      const queue = queueName('concurrency');
      for (let n = 0; n < 12; n++) await broker.publish(queue, jobMessage(n));
      let running = 0;
      let mostAtOnce = 0;
      const done: Message[] = [];
      await broker.subscribe(
        queue,
        async (message) => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await sleep(25);
          running--;
          done.push(message);
        },
        { concurrency: 3 },
      );

      await waitUntil('12 handled messages', () => done.length >= 12);

      expect(mostAtOnce).toBe(3);
      expect(done).toHaveLength(12);
    });

    it('closing a subscription waits for its handlers in flight, then stops deliveries', async () => {
      const queue = queueName('close-subscription');
      const gate = deferred();
      const received: Message[] = [];
      const finished: Message[] = [];
      const subscription = await broker.subscribe(
        queue,
        async (message) => {
          received.push(message);
          await gate.promise;
          finished.push(message);
        },
        { concurrency: 1 },
      );
      await broker.publish(queue, jobMessage(1));
      await waitUntil('the handler to start', () => received.length === 1);

      let closeResolved = false;
      const closing = subscription.close().then(() => {
        closeResolved = true;
      });
      await sleep(100);
      expect(closeResolved).toBe(false);

      gate.resolve();
      await closing;
      expect(finished).toEqual([jobMessage(1)]);

      await broker.publish(queue, jobMessage(2));
      await sleep(QUIET_MS);
      expect(received).toEqual([jobMessage(1)]);

      // The handled message was acknowledged; the one published after the close waits for the next subscriber.
      const later: Message[] = [];
      await broker.subscribe(queue, collect(later), { concurrency: 1 });
      await waitUntil('the message published after the close', () => later.length === 1);
      await sleep(QUIET_MS);
      expect(later).toEqual([jobMessage(2)]);
    });

    it('closing the broker waits for handlers in flight', async () => {
      const queue = queueName('close-broker');
      const gate = deferred();
      const received: Message[] = [];
      const finished: Message[] = [];
      await broker.subscribe(
        queue,
        async (message) => {
          received.push(message);
          await gate.promise;
          finished.push(message);
        },
        { concurrency: 1 },
      );
      await broker.publish(queue, jobMessage(1));
      await waitUntil('the handler to start', () => received.length === 1);

      let closeResolved = false;
      const closing = closeBroker().then(() => {
        closeResolved = true;
      });
      await sleep(100);
      expect(closeResolved).toBe(false);

      gate.resolve();
      await closing;
      expect(finished).toEqual([jobMessage(1)]);
    });

    it('an exclusive subscription receives its queue, and the queue goes away with it', async () => {
      const queue = workerQueueName();
      const gate = deferred();
      const received: Message[] = [];
      const subscription = await broker.subscribe(
        queue,
        async (message) => {
          received.push(message);
          await gate.promise;
        },
        { concurrency: 1, exclusive: true },
      );
      await broker.publish(queue, jobMessage('handled'));
      await broker.publish(queue, jobMessage('left-behind'));
      await waitUntil('the first message', () => received.length === 1);

      const closing = subscription.close();
      await sleep(100);
      gate.resolve();
      await closing;
      expect(received).toEqual([jobMessage('handled')]);

      // A new subscriber under the same name starts from an empty queue: what was left went with the old one.
      const later: Message[] = [];
      await broker.subscribe(queue, collect(later), { concurrency: 1 });
      await sleep(QUIET_MS);
      expect(later).toEqual([]);
    });

    it('reports healthy while open; after close, healthCheck, publish and subscribe reject', async () => {
      const queue = queueName('closed');
      await expect(broker.healthCheck()).resolves.toBeUndefined();

      await closeBroker();

      await expect(broker.healthCheck()).rejects.toThrow();
      await expect(broker.publish(queue, jobMessage(1))).rejects.toThrow();
      await expect(broker.subscribe(queue, collect([]), { concurrency: 1 })).rejects.toThrow();
    });

    it('carries publish headers beside the message to its handler', async () => {
      const queue = queueName('headers');
      const seen: Record<string, string>[] = [];
      await broker.subscribe(
        queue,
        (_message, delivery) => {
          seen.push({ ...delivery.headers });
          return Promise.resolve();
        },
        { concurrency: 1 },
      );
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      await broker.publish(queue, jobMessage('traced'), { headers: { traceparent } });
      await waitUntil('the events', () => seen.length === 1);
      expect(seen[0]).toEqual({ traceparent });
    });

    it("hands a message published without headers to its handler with none, not the broker's own", async () => {
      const queue = queueName('no-headers');
      const seen: Record<string, string>[] = [];
      await broker.subscribe(
        queue,
        (_message, delivery) => {
          seen.push({ ...delivery.headers });
          return Promise.resolve();
        },
        { concurrency: 1 },
      );
      await broker.publish(queue, jobMessage('plain'));
      await waitUntil('the message', () => seen.length === 1);
      expect(seen[0]).toEqual({});
    });
  });
}

function sortedIds(messages: readonly Message[]): string[] {
  return messages.map((message) => ('jobId' in message ? message.jobId : message.type)).sort();
}
