import type { ConsumeMessage } from 'amqplib';
import {
  decodeMessages,
  errorMessage,
  maskPayload,
  type Logger,
  type Message,
  type MessageHandler,
  type SubscribeOptions,
} from '@tork/domain';
import { COALESCED_TYPE } from './coalescing-publisher.js';
import { DeliveryAttempts, type Settle } from './delivery-attempts.js';
import { attemptOf, headersOf } from './delivery-properties.js';
import type { ConsumerHost } from './queue-consumer.js';

const DEFAULT_MAX_DELIVERIES = 5;

/** How the handling of one delivery tells its consumer that it is done with it. */
export interface DeliverySettlement {
  /** Acknowledges, or returns to the queue, now. */
  readonly settle: Settle;
  /** Acknowledges while the handler still runs (manual ack): the consumer sends it when it can. */
  readonly ackEarly: () => void;
}

export interface DeliveryHandlerDeps {
  /** The queue as the engine names it (without the server's prefix). */
  readonly queue: string;
  readonly host: Pick<ConsumerHost, 'republish' | 'deadLetter'>;
  readonly handler: MessageHandler;
  readonly options: SubscribeOptions;
  readonly logger: Logger;
}

/**
 * Handles one delivery of a subscription: decodes it (what no handler can read goes to the
 * dead-letter queue), counts its attempts, calls the handler once per message it carries, and says
 * how it is settled: acknowledged, queued again as a further attempt, or given up on.
 */
export class DeliveryHandler {
  private readonly attempts: DeliveryAttempts;
  private readonly manualAck: boolean;

  constructor(private readonly deps: DeliveryHandlerDeps) {
    const { options } = deps;
    this.manualAck = options.ack === 'manual';
    this.attempts = new DeliveryAttempts({
      queue: deps.queue,
      republish: (...args) => deps.host.republish(...args),
      logger: deps.logger,
      maxDeliveries: options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
      ...(options.onGiveUp === undefined ? {} : { onGiveUp: options.onGiveUp }),
    });
  }

  async handle(delivery: ConsumeMessage, settlement: DeliverySettlement): Promise<void> {
    const { settle } = settlement;
    const decoded = decodeMessages(delivery.content);
    if (!decoded.ok) {
      await this.deadLetter(delivery, decoded.reason, settle);
      return;
    }
    const { messages } = decoded;
    const [message] = messages;
    if (message === undefined) return;
    const attempt = attemptOf(delivery);
    if (delivery.fields.redelivered) {
      // A consumer died holding it: that was an attempt as well. Count it in the message before handling it.
      await this.attempts.redelivered(delivery, messages, attempt + 1, settle);
      return;
    }
    // Messages published together (PublishOptions.coalesce) are handled together, then acknowledged.
    if (messages.length > 1) {
      await this.handleMany(delivery, messages, attempt, settle);
      return;
    }
    await this.handleOne(delivery, message, attempt, settlement);
  }

  private async deadLetter(delivery: ConsumeMessage, reason: string, settle: Settle): Promise<void> {
    // Never handled, never the cause of an unrelated failure: kept where an operator can look.
    this.deps.logger.error(
      { type: delivery.properties.type as unknown, reason, payload: maskPayload(delivery.content) },
      'a delivery that is not a message of this version goes to the dead-letter queue',
    );
    try {
      await this.deps.host.deadLetter(this.deps.queue, delivery.content, reason);
      settle('ack');
    } catch (error) {
      this.deps.logger.warn({ err: errorMessage(error) }, 'could not keep a dead letter; returning it');
      settle('requeue');
    }
  }

  private async handleOne(
    delivery: ConsumeMessage,
    message: Message,
    attempt: number,
    { settle, ackEarly }: DeliverySettlement,
  ): Promise<void> {
    const settled = { acknowledged: false, handling: true };
    const ack = (): void => {
      if (settled.acknowledged) return;
      settled.acknowledged = true;
      // The handler runs on in its slot: the consumer sends it once RabbitMQ can send no more for it.
      if (settled.handling) ackEarly();
      else settle('ack');
    };
    try {
      await this.deps.handler(message, {
        attempt,
        headers: headersOf(delivery),
        ack: this.manualAck ? ack : () => undefined,
      });
      settled.handling = false;
    } catch (error) {
      settled.handling = false;
      if (settled.acknowledged) {
        this.deps.logger.error(
          { type: message.type, attempt, err: errorMessage(error) },
          'handler failed after acknowledging its message, which is not delivered again',
        );
        return;
      }
      this.deps.logger.warn({ type: message.type, attempt, err: errorMessage(error) }, 'handler failed');
      if (attempt < this.attempts.maxDeliveries) {
        await this.attempts.requeue(delivery, message.type, attempt + 1, settle);
        return;
      }
      await this.attempts.giveUp(message, error);
    }
    ack();
  }

  /**
   * A delivery of several messages: each handled at once, as if each had come alone; it is
   * acknowledged once all were, or queued again whole (the handlers are idempotent). At the last
   * attempt, those that failed are given up on; the rest were handled.
   */
  private async handleMany(
    delivery: ConsumeMessage,
    messages: readonly Message[],
    attempt: number,
    settle: Settle,
  ): Promise<void> {
    const headers = headersOf(delivery);
    const outcomes = await Promise.allSettled(
      messages.map((message) => this.deps.handler(message, { attempt, headers, ack: () => undefined })),
    );
    const failed = outcomes.flatMap((outcome, index) =>
      outcome.status === 'rejected'
        ? [{ message: messages[index] as Message, error: outcome.reason as unknown }]
        : [],
    );
    if (failed.length > 0) {
      for (const { message, error } of failed)
        this.deps.logger.warn({ type: message.type, attempt, err: errorMessage(error) }, 'handler failed');
      if (attempt < this.attempts.maxDeliveries) {
        await this.attempts.requeue(delivery, COALESCED_TYPE, attempt + 1, settle);
        return;
      }
      for (const { message, error } of failed) await this.attempts.giveUp(message, error);
    }
    settle('ack');
  }
}
