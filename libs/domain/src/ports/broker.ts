import type { Message } from '../messages.js';

/**
 * Carries messages between the engine's processes. Adapters: InMemoryBroker (one process),
 * RabbitMqBroker. The contract suite in @tork/testing holds every adapter to the same behaviour:
 *
 * - `publish` resolves once the message is safely with the broker (a failure rejects; nothing is
 *   silently dropped) and declares the queue first if needed.
 * - a message is acknowledged as its subscription's `ack` says: when the handler resolves (the
 *   default), or (`manual`) when the handler calls `delivery.ack()`, at the latest when it resolves.
 *   Until then a consumer that dies leaves the message to be delivered again; after it, never.
 * - a handler that rejects before its message was acknowledged gets it again, up to `maxDeliveries`
 *   in all, then `onGiveUp` is told and the message dropped; a rejection after the ack is only logged.
 * - at most `concurrency` handlers of one subscription run at once, acknowledged or not.
 * - `publishEvent` fans a notice out to every live `subscribeEvents` subscriber whose pattern matches,
 *   in any process: not durable, best effort (nobody listening: dropped), in order per publisher.
 *   Nothing is acknowledged or delivered again; a consumer that must not miss anything re-reads the
 *   datastore, which stays the record.
 */
export interface Broker {
  publish(queue: string, message: Message, options?: PublishOptions): Promise<void>;
  subscribe(queue: string, handler: MessageHandler, options: SubscribeOptions): Promise<Subscription>;
  /** The queues there are, with their sizes (see each adapter for which queues it can see). */
  queues(): Promise<QueueInfo[]>;
  /** One queue, or undefined when there is no such queue. */
  queue(name: string): Promise<QueueInfo | undefined>;
  /**
   * Drops the messages waiting in a queue (not those a consumer holds) and answers the task ids of
   * the `task.run` messages among them, so their tasks can be failed; undefined when there is no such queue.
   */
  purgeQueue(name: string): Promise<PurgedQueue | undefined>;
  /** Sends a notice on a dot-separated topic (`logs.<jobId>.<taskId>`) to its current subscribers. */
  publishEvent(topic: string, event: BrokerEvent): Promise<void>;
  /**
   * Listens to topics matching `pattern` (`*` one word, `#` any words, as AMQP topic bindings) from
   * now on; resolves once the subscription is live. The returned function stops it.
   */
  subscribeEvents(pattern: string, handler: EventHandler): Promise<Unsubscribe>;
  /** Rejects when the broker cannot be reached. */
  healthCheck(): Promise<void>;
  /** Closes every subscription (waiting for handlers in flight) and the connection. */
  close(): Promise<void>;
}

/** A queue as an operator sees it (Tork's shape). */
export interface QueueInfo {
  readonly name: string;
  /** Messages waiting to be delivered. */
  readonly size: number;
  /** Consumers attached. */
  readonly subscribers: number;
  /** Messages delivered and not yet acknowledged; null where the broker cannot tell (AMQP alone). */
  readonly unacked: number | null;
}

export interface PurgedQueue {
  /** Messages dropped. */
  readonly count: number;
  /** Task ids of the `task.run` messages dropped. */
  readonly taskIds: readonly string[];
}

export interface PublishOptions {
  /** 0-9: a consumer takes messages of a higher priority from the queue first (default 0). */
  readonly priority?: number;
  /** Carried beside the message (AMQP headers), never in its body; e.g. W3C trace context. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The message may travel with others published to the same queue at the same moment: while a
   * publish to that queue awaits the broker's confirm, the next ones wait and go as one broker
   * message (an idle queue's goes at once). Its consumer still handles each message on its own,
   * the several at once, and they are acknowledged, or delivered again, together: only for queues
   * whose handlers are idempotent and acknowledge after handling. A message with a priority or
   * headers travels alone.
   */
  readonly coalesce?: boolean;
}

/** A fan-out notice: JSON-serialisable data, not a work item. */
export type BrokerEvent = Readonly<Record<string, unknown>>;

export type EventHandler = (topic: string, event: BrokerEvent) => void;

export type Unsubscribe = () => Promise<void>;

export interface Delivery {
  /** 1 for the first delivery, 2 for the first redelivery, ... */
  readonly attempt: number;
  /** The headers the message was published with (`PublishOptions.headers`). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * With `ack: 'manual'`: the message is safe to let go of now (e.g. a task's start is durable), so
   * it is not delivered again even if this process dies before the handler ends. Does nothing otherwise.
   */
  ack(): void;
}

export type MessageHandler = (message: Message, delivery: Delivery) => Promise<void>;

export interface SubscribeOptions {
  /** Handlers of this subscription that may run at once. */
  readonly concurrency: number;
  /** The queue belongs to this subscriber and is deleted with it (a worker's `x-<id>` queue). */
  readonly exclusive?: boolean;
  /** Deliveries of one message before giving up on it (default 5). */
  readonly maxDeliveries?: number;
  /** Told when a message is given up on after `maxDeliveries` failed handlings. */
  readonly onGiveUp?: (message: Message, error: unknown) => Promise<void>;
  /**
   * When the message is acknowledged: `after-handler` (default) when the handler resolves; `manual`
   * when the handler calls `delivery.ack()` (or resolves), for handlers that run far longer than
   * a broker would hold a delivery (RabbitMQ's consumer_timeout), such as a task's.
   */
  readonly ack?: AckPolicy;
}

export type AckPolicy = 'after-handler' | 'manual';

export interface Subscription {
  /** Stops taking messages and waits for the handlers in flight. */
  close(): Promise<void>;
}
