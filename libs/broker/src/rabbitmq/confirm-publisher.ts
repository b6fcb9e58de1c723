import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { errorMessage, TorkError, type Logger, type Metrics } from '@tork/domain';
import { asError, closedError, isRefusal } from './channels.js';
import { ATTEMPT_HEADER } from './delivery-properties.js';
import type { Settings } from './queue-consumer.js';
import { declareQueue, queueShape } from './topology.js';

const CONTENT_TYPE = 'application/json';
/** Pause before publishing again on a fresh channel after the last one died under a publish. */
const REPUBLISH_PAUSE_MS = 50;

/** A publish RabbitMQ could not route (no such queue) and handed back. */
class ReturnedError extends Error {}

/** What the publisher needs from its broker's connection. */
export interface PublisherHost {
  readonly logger: Logger;
  /** Where publish-confirm latency is reported. */
  readonly metrics: Pick<Metrics, 'observeBrokerConfirm'>;
  readonly settings: Settings;
  /** The live connection, if any. */
  current(): ChannelModel | undefined;
  /** The connection, waiting for a reconnection until `deadline`. */
  connected(deadline: number): Promise<ChannelModel>;
  isClosed(): boolean;
}

/**
 * Publishes with publisher confirms on one shared confirm channel, declaring queues first (once
 * per connection); a message RabbitMQ returns unroutable is published again after declaring anew.
 */
export class ConfirmPublisher {
  private current: Promise<ConfirmChannel> | undefined;
  /** Queues declared on the current connection. */
  private declared = new Set<string>();
  /** Publishes waiting for their confirm, by message id: marked when RabbitMQ returns them. */
  private readonly unconfirmed = new Map<string, { returned: boolean }>();

  constructor(private readonly host: PublisherHost) {}

  /** A new or lost connection: its channel and declarations are gone. */
  reset(): void {
    this.current = undefined;
    this.declared = new Set();
  }

  /** The one confirm channel publishes share, opened again when it dies. */
  channel(connection: ChannelModel): Promise<ConfirmChannel> {
    if (this.current !== undefined) return this.current;
    const created = connection.createConfirmChannel().then((channel) => {
      channel.on('error', (error: unknown) => {
        this.host.logger.warn({ err: errorMessage(error) }, 'publisher channel error');
      });
      channel.on('close', () => {
        if (this.current === created) this.current = undefined;
      });
      channel.on('return', (returned: ConsumeMessage) => {
        const id: unknown = returned.properties.messageId;
        if (typeof id === 'string') {
          const pending = this.unconfirmed.get(id);
          if (pending !== undefined) pending.returned = true;
        }
      });
      return channel;
    });
    created.catch(() => {
      if (this.current === created) this.current = undefined;
    });
    this.current = created;
    return created;
  }

  /**
   * Declares the queue (once per connection) and publishes with a confirm. A channel or connection
   * lost under the publish is waited out (up to outageWaitMs) and the publish made again: at least
   * once, never silently dropped. A refusal by RabbitMQ (nack, declaration refused) rejects at once.
   */
  async send(
    queue: string,
    type: string,
    body: Buffer,
    attempt: number,
    priority: number,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const name = `${this.host.settings.queuePrefix}${queue}`;
    const shape = queueShape(queue, this.host.settings.heartbeatQueueTtlMs);
    const deadline = Date.now() + this.host.settings.outageWaitMs;
    let returns = 0;
    for (;;) {
      const connection = await this.host.connected(deadline);
      try {
        const channel = await this.channel(connection);
        if (shape.transient || !this.declared.has(name)) {
          // A work queue is declared on a channel of its own: a refusal closes the channel it came on.
          if (shape.priority) await declareQueue(connection, name, shape, this.host.logger);
          else await channel.assertQueue(name, shape.options);
          if (!shape.transient && this.host.current() === connection) this.declared.add(name);
        }
        const sentAt = performance.now();
        await this.confirm(channel, name, type, body, { attempt, priority, headers });
        this.host.metrics.observeBrokerConfirm((performance.now() - sentAt) / 1000);
        return;
      } catch (error) {
        if (this.host.isClosed()) throw closedError();
        if (error instanceof ReturnedError) {
          // Deleted behind our back since we declared it: declare it again, once.
          this.declared.delete(name);
          if (++returns > 1)
            throw new TorkError('UNAVAILABLE', `could not publish to ${name}: ${error.message}`);
          continue;
        }
        if (isRefusal(error))
          throw new TorkError(
            'UNAVAILABLE',
            `RabbitMQ refused a message for ${name}: ${errorMessage(error)}`,
            {
              cause: error,
            },
          );
        if (Date.now() >= deadline)
          throw new TorkError('UNAVAILABLE', `could not publish to ${name}: ${errorMessage(error)}`, {
            cause: error,
            retryable: true,
          });
        this.host.logger.debug(
          { queue: name, err: errorMessage(error) },
          'publish interrupted; publishing again',
        );
        await sleep(REPUBLISH_PAUSE_MS);
      }
    }
  }

  private confirm(
    channel: ConfirmChannel,
    name: string,
    type: string,
    body: Buffer,
    meta: { attempt: number; priority: number; headers: Readonly<Record<string, string>> },
  ): Promise<void> {
    const messageId = randomUUID();
    const pending = { returned: false };
    this.unconfirmed.set(messageId, pending);
    return new Promise<void>((resolve, reject) => {
      const settle = (error: unknown): void => {
        this.unconfirmed.delete(messageId);
        if (error !== null && error !== undefined) reject(asError(error));
        else if (pending.returned) reject(new ReturnedError(`no queue ${name} to route the message to`));
        else resolve();
      };
      try {
        channel.publish(
          '',
          name,
          body,
          {
            persistent: true,
            mandatory: true,
            contentType: CONTENT_TYPE,
            type,
            messageId,
            ...(meta.priority > 0 ? { priority: meta.priority } : {}),
            headers: { ...meta.headers, [ATTEMPT_HEADER]: meta.attempt },
          },
          (error: unknown) => {
            settle(error);
          },
        );
      } catch (error) {
        settle(error ?? new Error('publish failed'));
      }
    });
  }
}
