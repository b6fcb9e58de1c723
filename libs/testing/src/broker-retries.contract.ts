import { beforeEach, describe, expect, it } from 'vitest';
import { errorMessage, type Broker, type Message } from '@tork/domain';
import { brokerFixture, collect, QUIET_MS, type BrokerContractContext } from './broker-fixture.js';
import { jobMessage } from './fixtures.js';
import { deferred, sleep, waitUntil } from './wait.js';

/**
 * The broker contract for what becomes of a message whose handler fails: attempts, give-ups,
 * coalesced messages handled and delivered again together, and manual acknowledgement.
 * Registered by brokerContract.
 */
export function brokerRetriesContract(
  name: string,
  create: () => Promise<Broker>,
  cleanup?: (context: BrokerContractContext) => Promise<void>,
): void {
  describe(`${name} (broker contract: retries and acknowledgement)`, () => {
    const fixture = brokerFixture(create, cleanup);
    const { queueName } = fixture;
    let broker: Broker;
    beforeEach(() => {
      broker = fixture.broker;
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

    /**
     * Five messages to handlers that acknowledge at their start or at their end and wait at a gate:
     * at most `concurrency` run at once, and that many do.
     */
    async function handlersAtOnce(name: string, concurrency: number, ackAt: 'start' | 'end'): Promise<void> {
      const queue = queueName(name);
      const gate = deferred();
      let running = 0;
      let mostAtOnce = 0;
      const done: Message[] = [];
      await broker.subscribe(
        queue,
        async (message, delivery) => {
          if (ackAt === 'start') delivery.ack();
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await gate.promise;
          if (ackAt === 'end') delivery.ack();
          running--;
          done.push(message);
        },
        { concurrency, ack: 'manual' },
      );
      for (let n = 0; n < 5; n++) await broker.publish(queue, jobMessage(n));
      await waitUntil(`${String(concurrency)} handlers running`, () => running === concurrency);
      await sleep(QUIET_MS);
      expect(mostAtOnce).toBe(concurrency);

      gate.resolve();
      await waitUntil('five handled messages', () => done.length === 5);
      expect(mostAtOnce).toBe(concurrency);
    }

    it('with manual ack, handlers that have not acknowledged yet run up to the concurrency at once', async () => {
      // A worker's quick tasks keep their delivery until their end is reported: none waits for another's.
      await handlersAtOnce('manual-ack-unacked', 3, 'end');
    });

    it('with manual ack, handlers that acknowledged still count against the concurrency', async () => {
      await handlersAtOnce('manual-ack-concurrency', 2, 'start');
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
  });
}
