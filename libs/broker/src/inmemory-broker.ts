import { taskIdsOf } from './purged-tasks.js';
import {
  decodeMessage,
  encodeMessage,
  errorMessage,
  maskPayload,
  type Broker,
  type BrokerEvent,
  type Delivery,
  type EventHandler,
  type Message,
  type MessageHandler,
  type PublishOptions,
  type PurgedQueue,
  type QueueInfo,
  type SubscribeOptions,
  type Subscription,
  type Unsubscribe,
} from '@tork/domain';
import { topicMatcher } from './topic-pattern.js';

const DEFAULT_MAX_DELIVERIES = 5;

interface Envelope {
  /** The message as it travels: encoded, so that every delivery is decoded as a real broker's is. */
  readonly bytes: Buffer;
  readonly attempt: number;
  readonly priority: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** A message no handler could read, kept as it came. */
export interface DeadLetter {
  readonly queue: string;
  readonly reason: string;
  readonly payload: string;
}

/** Dead letters kept, oldest dropped first. */
const MAX_DEAD_LETTERS = 1000;

interface Consumer {
  readonly handler: MessageHandler;
  readonly options: SubscribeOptions;
  readonly inFlight: Set<Promise<void>>;
  closed: boolean;
}

class MemoryQueue {
  readonly backlog: Envelope[] = [];
  readonly consumers: Consumer[] = [];
  /** Deliveries handed to a handler and not yet acknowledged. */
  unacked = 0;
  private next = 0;

  /** Higher priorities first; in the order they came within one priority. */
  enqueue(envelope: Envelope): void {
    let at = this.backlog.length;
    while (at > 0 && (this.backlog[at - 1]?.priority ?? 0) < envelope.priority) at--;
    this.backlog.splice(at, 0, envelope);
  }

  /** Round-robin over consumers with a free slot. */
  pickConsumer(): Consumer | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const consumer = this.consumers[(this.next + i) % this.consumers.length];
      if (
        consumer !== undefined &&
        !consumer.closed &&
        consumer.inFlight.size < consumer.options.concurrency
      ) {
        this.next = (this.next + i + 1) % this.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }
}

export interface InMemoryBrokerOptions {
  /** Told of handler failures and give-ups, which the broker otherwise keeps to itself. */
  readonly onError?: (queue: string, message: Message, error: unknown) => void;
  /** Told of a message that did not decode, which is kept in `deadLetters` instead of handled. */
  readonly onDeadLetter?: (letter: DeadLetter) => void;
}

/**
 * A broker within one process, for standalone mode and tests. Messages are encoded and decoded
 * as they would be on the wire (one that does not decode is kept as a dead letter); higher
 * priorities are taken first; a message whose handler rejects before it was acknowledged is
 * delivered again up to `maxDeliveries`. Nothing survives a restart.
 */
export class InMemoryBroker implements Broker {
  private readonly byName = new Map<string, MemoryQueue>();
  private readonly listeners = new Set<{
    readonly matches: (topic: string) => boolean;
    readonly handler: EventHandler;
  }>();
  private closed = false;
  readonly deadLetters: DeadLetter[] = [];

  constructor(private readonly options: InMemoryBrokerOptions = {}) {}

  publish(queue: string, message: Message, options: PublishOptions = {}): Promise<void> {
    return this.publishBytes(queue, encodeMessage(message), options.priority ?? 0, options.headers);
  }

  /** Puts bytes on a queue as they are, as a process speaking another format would. */
  publishBytes(
    queue: string,
    bytes: Buffer,
    priority = 0,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    if (this.closed) return Promise.reject(new Error('broker is closed'));
    this.ensureQueue(queue).enqueue({ bytes, attempt: 1, priority, headers: { ...headers } });
    this.dispatch(queue);
    return Promise.resolve();
  }

  subscribe(queue: string, handler: MessageHandler, options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) return Promise.reject(new Error('broker is closed'));
    if (options.concurrency < 1) return Promise.reject(new RangeError('concurrency must be at least 1'));
    const memoryQueue = this.ensureQueue(queue);
    const consumer: Consumer = { handler, options, inFlight: new Set(), closed: false };
    memoryQueue.consumers.push(consumer);
    this.dispatch(queue);
    return Promise.resolve({
      close: async () => {
        consumer.closed = true;
        const index = memoryQueue.consumers.indexOf(consumer);
        if (index >= 0) memoryQueue.consumers.splice(index, 1);
        await Promise.allSettled([...consumer.inFlight]);
        if (options.exclusive === true) this.byName.delete(queue);
      },
    });
  }

  publishEvent(topic: string, event: BrokerEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('broker is closed'));
    // Copied as the wire would: a subscriber never shares the publisher's object.
    const bytes = JSON.stringify(event);
    for (const listener of [...this.listeners]) {
      if (!listener.matches(topic)) continue;
      const copy = JSON.parse(bytes) as BrokerEvent;
      queueMicrotask(() => {
        if (this.listeners.has(listener)) listener.handler(topic, copy);
      });
    }
    return Promise.resolve();
  }

  subscribeEvents(pattern: string, handler: EventHandler): Promise<Unsubscribe> {
    if (this.closed) return Promise.reject(new Error('broker is closed'));
    const listener = { matches: topicMatcher(pattern), handler };
    this.listeners.add(listener);
    return Promise.resolve(() => {
      this.listeners.delete(listener);
      return Promise.resolve();
    });
  }

  healthCheck(): Promise<void> {
    return this.closed ? Promise.reject(new Error('broker is closed')) : Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const consumers = [...this.byName.values()].flatMap((queue) => queue.consumers);
    for (const consumer of consumers) consumer.closed = true;
    await Promise.allSettled(consumers.flatMap((consumer) => [...consumer.inFlight]));
  }

  /** Messages waiting in a queue, not yet taken by a consumer. */
  depth(queue: string): number {
    return this.byName.get(queue)?.backlog.length ?? 0;
  }

  queues(): Promise<QueueInfo[]> {
    return Promise.resolve([...this.byName.entries()].map(([name, queue]) => infoOf(name, queue)));
  }

  queue(name: string): Promise<QueueInfo | undefined> {
    const queue = this.byName.get(name);
    return Promise.resolve(queue === undefined ? undefined : infoOf(name, queue));
  }

  purgeQueue(name: string): Promise<PurgedQueue | undefined> {
    const queue = this.byName.get(name);
    if (queue === undefined) return Promise.resolve(undefined);
    const dropped = queue.backlog.splice(0);
    return Promise.resolve({ count: dropped.length, taskIds: taskIdsOf(dropped.map((e) => e.bytes)) });
  }

  private ensureQueue(name: string): MemoryQueue {
    let queue = this.byName.get(name);
    if (queue === undefined) {
      queue = new MemoryQueue();
      this.byName.set(name, queue);
    }
    return queue;
  }

  private dispatch(name: string): void {
    const queue = this.byName.get(name);
    if (queue === undefined) return;
    while (queue.backlog.length > 0) {
      const consumer = queue.pickConsumer();
      if (consumer === undefined) return;
      const envelope = queue.backlog.shift();
      if (envelope === undefined) return;
      const run = this.deliver(name, consumer, envelope).finally(() => {
        consumer.inFlight.delete(run);
        // Let the next message go on a later tick so one busy queue cannot starve the event loop.
        setImmediate(() => {
          this.dispatch(name);
        });
      });
      consumer.inFlight.add(run);
    }
  }

  private async deliver(name: string, consumer: Consumer, envelope: Envelope): Promise<void> {
    const decoded = decodeMessage(envelope.bytes);
    if (!decoded.ok) {
      const letter = { queue: name, reason: decoded.reason, payload: maskPayload(envelope.bytes) };
      this.deadLetters.push(letter);
      if (this.deadLetters.length > MAX_DEAD_LETTERS) this.deadLetters.shift();
      this.options.onDeadLetter?.(letter);
      return;
    }
    const message = decoded.message;
    const memoryQueue = this.ensureQueue(name);
    const settled = { acknowledged: false };
    const release = (): void => {
      if (settled.acknowledged) return;
      settled.acknowledged = true;
      memoryQueue.unacked--;
    };
    memoryQueue.unacked++;
    const delivery: Delivery = {
      attempt: envelope.attempt,
      headers: envelope.headers,
      ack: () => {
        if (consumer.options.ack === 'manual') release();
      },
    };
    try {
      await consumer.handler(message, delivery);
      release();
    } catch (error) {
      const acknowledged = settled.acknowledged;
      release();
      this.options.onError?.(name, message, error);
      if (acknowledged) return; // let go of before it failed: never delivered again
      const maxDeliveries = consumer.options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
      if (envelope.attempt < maxDeliveries && !this.closed) {
        this.ensureQueue(name).enqueue({ ...envelope, attempt: envelope.attempt + 1 });
        return;
      }
      await consumer.options.onGiveUp?.(message, error).catch((giveUpError: unknown) => {
        this.options.onError?.(name, message, new Error(`giving up failed: ${errorMessage(giveUpError)}`));
      });
    }
  }
}

function infoOf(name: string, queue: MemoryQueue): QueueInfo {
  const subscribers = queue.consumers.filter((consumer) => !consumer.closed).length;
  return { name, size: queue.backlog.length, subscribers, unacked: queue.unacked };
}
