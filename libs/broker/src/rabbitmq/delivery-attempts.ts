import type { ConsumeMessage } from 'amqplib';
import { errorMessage, type Logger, type Message, type SubscribeOptions } from '@tork/domain';
import { COALESCED_TYPE } from './coalescing-publisher.js';
import { headersOf, priorityOf } from './delivery-properties.js';
import type { ConsumerHost } from './queue-consumer.js';

/** Acknowledges, or returns to the queue, one delivery on the channel it came on. */
export type Settle = (how: 'ack' | 'requeue') => void;

export interface DeliveryAttemptsDeps {
  /** The queue as the engine names it (without the server's prefix). */
  readonly queue: string;
  readonly republish: ConsumerHost['republish'];
  readonly logger: Logger;
  readonly maxDeliveries: number;
  readonly onGiveUp?: SubscribeOptions['onGiveUp'];
}

/**
 * What becomes of a delivery that is to be tried again: a copy carrying its next attempt goes to
 * the back of the queue before the original is acknowledged (a crash in between duplicates, never
 * loses), and past maxDeliveries it is given up on.
 */
export class DeliveryAttempts {
  readonly maxDeliveries: number;

  constructor(private readonly deps: DeliveryAttemptsDeps) {
    this.maxDeliveries = deps.maxDeliveries;
  }

  /** A delivery a consumer died holding: given up on past maxDeliveries, else queued again as `attempt`. */
  async redelivered(
    delivery: ConsumeMessage,
    messages: readonly Message[],
    attempt: number,
    settle: Settle,
  ): Promise<void> {
    if (attempt > this.maxDeliveries) {
      const reason = `delivered ${this.maxDeliveries} times; the last consumer stopped before acknowledging it`;
      for (const message of messages) await this.giveUp(message, new Error(reason));
      settle('ack');
      return;
    }
    const type = messages.length === 1 ? (messages[0] as Message).type : COALESCED_TYPE;
    await this.requeue(delivery, type, attempt, settle);
  }

  /** Publishes a copy carrying `attempt` to the back of the queue, then acknowledges the original. */
  async requeue(delivery: ConsumeMessage, type: string, attempt: number, settle: Settle): Promise<void> {
    try {
      await this.deps.republish(this.deps.queue, type, delivery.content, {
        attempt,
        priority: priorityOf(delivery),
        headers: headersOf(delivery),
      });
    } catch (error) {
      // Back to RabbitMQ, which delivers it again marked redelivered: counted as a further attempt.
      this.deps.logger.warn(
        { type, attempt, err: errorMessage(error) },
        'could not queue a copy; returning the message',
      );
      settle('requeue');
      return;
    }
    settle('ack');
  }

  async giveUp(message: Message, error: unknown): Promise<void> {
    this.deps.logger.warn({ type: message.type, err: errorMessage(error) }, 'giving up on a message');
    try {
      await this.deps.onGiveUp?.(message, error);
    } catch (giveUpError) {
      this.deps.logger.error({ type: message.type, err: errorMessage(giveUpError) }, 'giving up failed');
    }
  }
}
