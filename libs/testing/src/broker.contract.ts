import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  errorMessage,
  workerQueue,
  type Broker,
  type Delivery,
  type Message,
  type MessageHandler,
} from '@tork/domain';
import { brokerQueuesContract, type BrokerQueuesContractOptions } from './broker-queues.contract.js';
import { jobMessage } from './fixtures.js';
import { deferred, sleep, waitUntil } from './wait.js';

export interface BrokerContractContext {
  /** Every queue name the test used, for adapters whose queues outlive the connection. */
  readonly queues: readonly string[];
}

/** How long a test watches for a delivery that must not happen. */
const QUIET_MS = 300;

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
  describe(`${name} (broker contract)`, () => {
    let broker: Broker;
    let closed: boolean;
    let prefix: string;
    let queues: string[];

    /** A queue name no other test, run or process uses. */
    const queueName = (suffix: string): string => {
      const queue = `${prefix}.${suffix}`;
      queues.push(queue);
      return queue;
    };

    /** A worker's own queue (`x-<id>`), the kind exclusive subscriptions are for. */
    const workerQueueName = (): string => {
      const queue = workerQueue(`${prefix}-worker`);
      queues.push(queue);
      return queue;
    };

    const closeBroker = async (): Promise<void> => {
      closed = true;
      await broker.close();
    };

    beforeEach(async () => {
      prefix = `contract-${randomUUID().slice(0, 8)}`;
      queues = [];
      closed = false;
      broker = await create();
    });

    afterEach(async () => {
      if (!closed) await closeBroker();
      await cleanup?.({ queues: [...queues] });
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

    it('delivers a message again after its handler rejects, counting the attempts', async () => {
      const queue = queueName('retry-once');
      const attempts: number[] = [];
      const handled: Message[] = [];
      const givenUp: Message[] = [];
      await broker.subscribe(
        queue,
        (message, delivery) => {
          attempts.push(delivery.attempt);
          if (delivery.attempt === 1) return Promise.reject(new Error('transient failure'));
          handled.push(message);
          return Promise.resolve();
        },
        {
          concurrency: 1,
          maxDeliveries: 3,
          onGiveUp: (message) => {
            givenUp.push(message);
            return Promise.resolve();
          },
        },
      );

      await broker.publish(queue, jobMessage('flaky'));
      await waitUntil('the message handled', () => handled.length === 1);
      await sleep(QUIET_MS);

      expect(handled).toEqual([jobMessage('flaky')]);
      expect(attempts).toEqual([1, 2]);
      expect(givenUp).toEqual([]);
    });

    it('hands each of many messages published at once with coalesce to its handler once, whole', async () => {
      const queue = queueName('coalesced');
      const handled: Message[] = [];
      await broker.subscribe(
        queue,
        (message) => {
          handled.push(message);
          return Promise.resolve();
        },
        { concurrency: 4 },
      );
      const sent = Array.from({ length: 60 }, (_, n) => jobMessage(n));
      await Promise.all(sent.map((message) => broker.publish(queue, message, { coalesce: true })));
      await waitUntil('every message handled', () => handled.length >= sent.length);
      await sleep(QUIET_MS);

      const key = (message: Message): string => JSON.stringify(message);
      expect(handled.map(key).sort()).toEqual(sent.map(key).sort());
    });

    it('delivers again every message that travelled with one whose handler failed (coalesce), then none', async () => {
      const queue = queueName('coalesced-retry');
      const attempts = new Map<string, number[]>();
      await broker.subscribe(
        queue,
        (message, delivery) => {
          const id = message.type === 'job.submitted' ? message.jobId : '';
          attempts.set(id, [...(attempts.get(id) ?? []), delivery.attempt]);
          return id === 'job-flaky' && delivery.attempt === 1
            ? Promise.reject(new Error('transient failure'))
            : Promise.resolve();
        },
        { concurrency: 1, maxDeliveries: 3 },
      );
      const sent = ['a', 'flaky', 'b', 'c'].map((n) => jobMessage(n));
      await Promise.all(sent.map((message) => broker.publish(queue, message, { coalesce: true })));
      await waitUntil('the flaky message handled', () => (attempts.get('job-flaky') ?? []).includes(2));
      await sleep(QUIET_MS);

      // Whatever travelled with it is handled again (handlers are idempotent); nothing a third time.
      expect(attempts.get('job-flaky')).toEqual([1, 2]);
      for (const id of ['job-a', 'job-b', 'job-c']) {
        const seen = attempts.get(id) ?? [];
        expect(seen[0]).toBe(1);
        expect(seen.length).toBeLessThanOrEqual(2);
      }
    });

    it('gives up after maxDeliveries failed handlings: onGiveUp hears of it once and the message is gone', async () => {
      const queue = queueName('give-up');
      const attempts: number[] = [];
      const givenUp: { message: Message; error: string }[] = [];
      await broker.subscribe(
        queue,
        (_message, delivery) => {
          attempts.push(delivery.attempt);
          return Promise.reject(new Error(`attempt ${delivery.attempt} failed`));
        },
        {
          concurrency: 1,
          maxDeliveries: 3,
          onGiveUp: (message, error) => {
            givenUp.push({ message, error: errorMessage(error) });
            return Promise.resolve();
          },
        },
      );

      await broker.publish(queue, jobMessage('poison'));
      await waitUntil('the give-up', () => givenUp.length > 0);
      await sleep(QUIET_MS);

      expect(attempts).toEqual([1, 2, 3]);
      expect(givenUp).toEqual([{ message: jobMessage('poison'), error: 'attempt 3 failed' }]);
    });

    it('delivers a failing message five times when maxDeliveries is not given', async () => {
      const queue = queueName('default-deliveries');
      const attempts: number[] = [];
      const givenUp: Message[] = [];
      await broker.subscribe(
        queue,
        (_message, delivery) => {
          attempts.push(delivery.attempt);
          return Promise.reject(new Error('always fails'));
        },
        {
          concurrency: 1,
          onGiveUp: (message) => {
            givenUp.push(message);
            return Promise.resolve();
          },
        },
      );

      await broker.publish(queue, jobMessage('poison'));
      await waitUntil('the give-up', () => givenUp.length > 0);
      await sleep(QUIET_MS);

      expect(attempts).toEqual([1, 2, 3, 4, 5]);
      expect(givenUp).toEqual([jobMessage('poison')]);
    });

    it('keeps other messages flowing while one is being retried', async () => {
      const queue = queueName('retry-isolated');
      const handled: Message[] = [];
      const givenUp: Message[] = [];
      await broker.subscribe(
        queue,
        (message) => {
          if (message.type === 'job.submitted' && message.jobId === 'job-poison')
            return Promise.reject(new Error('poison'));
          handled.push(message);
          return Promise.resolve();
        },
        {
          concurrency: 1,
          maxDeliveries: 2,
          onGiveUp: (message) => {
            givenUp.push(message);
            return Promise.resolve();
          },
        },
      );

      await broker.publish(queue, jobMessage('poison'));
      await broker.publish(queue, jobMessage('good'));
      await waitUntil('the good message and the give-up', () => handled.length === 1 && givenUp.length === 1);
      await sleep(QUIET_MS);

      expect(handled).toEqual([jobMessage('good')]);
      expect(givenUp).toEqual([jobMessage('poison')]);
    });

    it('with manual ack, a handler failing before ack() gets its message again; after ack() it never does', async () => {
      const queue = queueName('manual-ack');
      const seen: string[] = [];
      const givenUp: Message[] = [];
      await broker.subscribe(
        queue,
        (message, delivery) => {
          const id = 'jobId' in message ? message.jobId : message.type;
          seen.push(`${id}#${delivery.attempt}`);
          if (id === 'job-before' && delivery.attempt === 1)
            return Promise.reject(new Error('before the ack'));
          delivery.ack();
          if (id === 'job-after') return Promise.reject(new Error('after the ack'));
          return Promise.resolve();
        },
        {
          concurrency: 1,
          ack: 'manual',
          onGiveUp: (message) => {
            givenUp.push(message);
            return Promise.resolve();
          },
        },
      );

      await broker.publish(queue, jobMessage('before'));
      await broker.publish(queue, jobMessage('after'));
      await waitUntil('three deliveries', () => seen.length >= 3);
      await sleep(QUIET_MS);

      expect([...seen].sort()).toEqual(['job-after#1', 'job-before#1', 'job-before#2']);
      expect(givenUp).toEqual([]);
    });

    it('with manual ack, a handler that resolves without calling ack() has its message acknowledged', async () => {
      const queue = queueName('manual-ack-resolve');
      const received: Message[] = [];
      const subscription = await broker.subscribe(queue, collect(received), {
        concurrency: 1,
        ack: 'manual',
      });
      await broker.publish(queue, jobMessage('quiet'));
      await waitUntil('the message', () => received.length === 1);
      await subscription.close();

      const later: Message[] = [];
      await broker.subscribe(queue, collect(later), { concurrency: 1, ack: 'manual' });
      await sleep(QUIET_MS);
      expect(later).toEqual([]);
    });

    it('with manual ack, handlers that acknowledged still count against the concurrency', async () => {
      const queue = queueName('manual-ack-concurrency');
      const gate = deferred();
      let running = 0;
      let mostAtOnce = 0;
      const done: Message[] = [];
      await broker.subscribe(
        queue,
        async (message, delivery) => {
          delivery.ack();
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await gate.promise;
          running--;
          done.push(message);
        },
        { concurrency: 2, ack: 'manual' },
      );
      for (let n = 0; n < 5; n++) await broker.publish(queue, jobMessage(n));
      await waitUntil('two handlers running', () => running === 2);
      await sleep(QUIET_MS);
      expect(mostAtOnce).toBe(2);

      gate.resolve();
      await waitUntil('five handled messages', () => done.length === 5);
      expect(mostAtOnce).toBe(2);
    });

    it('without manual ack, ack() changes nothing: a handler failing after it gets its message again', async () => {
      const queue = queueName('after-handler-ack');
      const attempts: number[] = [];
      await broker.subscribe(
        queue,
        (_message, delivery) => {
          attempts.push(delivery.attempt);
          delivery.ack();
          return delivery.attempt === 1 ? Promise.reject(new Error('transient')) : Promise.resolve();
        },
        { concurrency: 1 },
      );
      await broker.publish(queue, jobMessage('again'));
      await waitUntil('the second delivery', () => attempts.length === 2);
      await sleep(QUIET_MS);
      expect(attempts).toEqual([1, 2]);
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

    // Publish/subscribe of events (issue 13): fan-out notices, not work items.
    describe('events', () => {
      let other: Broker | undefined;

      afterEach(async () => {
        if (other !== broker) await other?.close();
        other = undefined;
      });

      it('fans an event out to every subscriber whose pattern matches, on every broker connection', async () => {
        other = await peer(broker);
        const here: [string, unknown][] = [];
        const there: [string, unknown][] = [];
        const elsewhere: string[] = [];
        await broker.subscribeEvents(`${prefix}.logs.j1.*`, (topic, event) => here.push([topic, event]));
        await other.subscribeEvents(`${prefix}.logs.#`, (topic, event) => there.push([topic, event]));
        await other.subscribeEvents(`${prefix}.events.*`, (topic) => elsewhere.push(topic));

        await broker.publishEvent(`${prefix}.logs.j1.t1`, { number: 1, text: 'hello' });

        await waitUntil('the events', () => here.length === 1 && there.length === 1);
        expect(here).toEqual([[`${prefix}.logs.j1.t1`, { number: 1, text: 'hello' }]]);
        expect(there).toEqual(here);
        await sleep(QUIET_MS);
        expect(elsewhere).toEqual([]);
      });

      it('delivers the events of one publisher in the order they were published', async () => {
        other = await peer(broker);
        const numbers: unknown[] = [];
        await other.subscribeEvents(`${prefix}.logs.*.*`, (_topic, event) => numbers.push(event['number']));
        for (let number = 1; number <= 50; number++)
          await broker.publishEvent(`${prefix}.logs.j.t`, { number });
        await waitUntil('the events', () => numbers.length === 50);
        expect(numbers).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
      });

      it('drops events nobody listens to, and stops delivering once unsubscribed', async () => {
        await broker.publishEvent(`${prefix}.events.early`, { state: 'RUNNING' });
        const seen: unknown[] = [];
        const unsubscribe = await broker.subscribeEvents(`${prefix}.events.*`, (_topic, event) =>
          seen.push(event),
        );
        await sleep(QUIET_MS);
        expect(seen).toEqual([]);

        await broker.publishEvent(`${prefix}.events.j`, { state: 'COMPLETED' });
        await waitUntil('the events', () => seen.length === 1);
        await unsubscribe();
        await broker.publishEvent(`${prefix}.events.j`, { state: 'FAILED' });
        await sleep(QUIET_MS);
        expect(seen).toEqual([{ state: 'COMPLETED' }]);
      });

      it('never puts an event on a work queue, nor a work message to an event subscriber', async () => {
        const queue = queueName('work');
        const received: Message[] = [];
        const events: unknown[] = [];
        await broker.subscribe(queue, collect(received), { concurrency: 1 });
        await broker.subscribeEvents('#', (_topic, event) => events.push(event));
        await broker.publishEvent(queue, { note: 'not work' });
        await broker.publish(queue, jobMessage('work'));
        await waitUntil('the events', () => received.length === 1 && events.length >= 1);
        await sleep(QUIET_MS);
        expect(received).toEqual([jobMessage('work')]);
        expect(events).toContainEqual({ note: 'not work' });
        expect(events).not.toContainEqual(jobMessage('work'));
      });
    });
  });
}

/** A handler that records each message (and the attempt it came with) and succeeds. */
function collect(into: Message[], attempts: number[] = []): MessageHandler {
  return (message: Message, delivery: Delivery) => {
    into.push(message);
    attempts.push(delivery.attempt);
    return Promise.resolve();
  };
}

function sortedIds(messages: readonly Message[]): string[] {
  return messages.map((message) => ('jobId' in message ? message.jobId : message.type)).sort();
}
