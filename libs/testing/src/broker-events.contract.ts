import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Broker, Message } from '@tork/domain';
import { brokerFixture, collect, QUIET_MS, type BrokerContractContext } from './broker-fixture.js';
import { jobMessage } from './fixtures.js';
import { sleep, waitUntil } from './wait.js';

/** The broker contract for publish/subscribe of events. Registered by brokerContract. */
export function brokerEventsContract(
  name: string,
  create: () => Promise<Broker>,
  cleanup: ((context: BrokerContractContext) => Promise<void>) | undefined,
  /** Another connection to the same broker as `broker`, as a second process has. */
  peer: (broker: Broker) => Promise<Broker>,
): void {
  describe(`${name} (broker contract)`, () => {
    const fixture = brokerFixture(create, cleanup);
    const { queueName } = fixture;
    let broker: Broker;
    let prefix: string;
    beforeEach(() => {
      broker = fixture.broker;
      prefix = fixture.prefix;
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
