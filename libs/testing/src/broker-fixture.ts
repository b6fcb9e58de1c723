import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { workerQueue, type Broker, type Delivery, type Message, type MessageHandler } from '@tork/domain';

export interface BrokerContractContext {
  /** Every queue name the test used, for adapters whose queues outlive the connection. */
  readonly queues: readonly string[];
}

/** How long a test watches for a delivery that must not happen. */
export const QUIET_MS = 300;

/** An open broker for each test, with queue names of its own; read its fields inside a test. */
export interface BrokerFixture {
  readonly broker: Broker;
  /** This test's random prefix, for queue names and event topics. */
  readonly prefix: string;
  /** A queue name no other test, run or process uses. */
  readonly queueName: (suffix: string) => string;
  /** A worker's own queue (`x-<id>`), the kind exclusive subscriptions are for. */
  readonly workerQueueName: () => string;
  /** Closes the broker now (the test goes on without it); otherwise it closes after the test. */
  readonly closeBroker: () => Promise<void>;
}

/**
 * Registers hooks that open a broker before each test of the enclosing describe and close it
 * after, then run `cleanup` with the queues the test named (e.g. to delete them on a server).
 */
export function brokerFixture(
  create: () => Promise<Broker>,
  cleanup?: (context: BrokerContractContext) => Promise<void>,
): BrokerFixture {
  let broker: Broker | undefined;
  let closed = false;
  let prefix = '';
  let queues: string[] = [];
  const named = (queue: string): string => {
    queues.push(queue);
    return queue;
  };
  const fixture: BrokerFixture = {
    get broker(): Broker {
      if (broker === undefined) throw new Error('no broker outside a test');
      return broker;
    },
    get prefix(): string {
      return prefix;
    },
    queueName: (suffix) => named(`${prefix}.${suffix}`),
    workerQueueName: () => named(workerQueue(`${prefix}-worker`)),
    closeBroker: async () => {
      closed = true;
      await fixture.broker.close();
    },
  };
  beforeEach(async () => {
    prefix = `contract-${randomUUID().slice(0, 8)}`;
    queues = [];
    closed = false;
    broker = await create();
  });
  afterEach(async () => {
    if (!closed) await fixture.closeBroker();
    await cleanup?.({ queues: [...queues] });
  });
  return fixture;
}

/** A handler that records each message (and the attempt it came with) and succeeds. */
export function collect(into: Message[], attempts: number[] = []): MessageHandler {
  return (message: Message, delivery: Delivery) => {
    into.push(message);
    attempts.push(delivery.attempt);
    return Promise.resolve();
  };
}
