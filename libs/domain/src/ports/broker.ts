import type { Message } from '../messages.js';

/**
 * Carries messages between the engine's processes. Adapters: InMemoryBroker (one process),
 * RabbitMqBroker. The contract suite in @tork/testing holds every adapter to the same behaviour:
 *
 * - `publish` resolves once the message is safely with the broker (a failure rejects; nothing is
 *   silently dropped) and declares the queue first if needed.
 * - a handler's message is acknowledged only when the handler resolves; when it rejects the message
 *   is delivered again, up to `maxDeliveries` in all, then `onGiveUp` is told and the message dropped.
 * - at most `concurrency` handlers of one subscription run at once.
 */
export interface Broker {
  publish(queue: string, message: Message, options?: PublishOptions): Promise<void>;
  subscribe(queue: string, handler: MessageHandler, options: SubscribeOptions): Promise<Subscription>;
  /** Rejects when the broker cannot be reached. */
  healthCheck(): Promise<void>;
  /** Closes every subscription (waiting for handlers in flight) and the connection. */
  close(): Promise<void>;
}

export interface PublishOptions {
  /** 0-9: a consumer takes messages of a higher priority from the queue first (default 0). */
  readonly priority?: number;
}

export interface Delivery {
  /** 1 for the first delivery, 2 for the first redelivery, ... */
  readonly attempt: number;
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
}

export interface Subscription {
  /** Stops taking messages and waits for the handlers in flight. */
  close(): Promise<void>;
}
