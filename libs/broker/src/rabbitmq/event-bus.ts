import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import {
  errorMessage,
  type BrokerEvent,
  type EventHandler,
  type Logger,
  type Unsubscribe,
} from '@tork/domain';
import { closeQuietly } from './channels.js';

/** What the event bus needs from its broker. */
export interface EventBusHost {
  readonly logger: Logger;
  /** The exchange's name on the server (the broker's queue prefix applies). */
  readonly exchange: string;
  connection(): ChannelModel | undefined;
  /** The connection, waiting out an outage (rejects when it lasts too long or the broker closes). */
  connected(): Promise<ChannelModel>;
}

interface Listener {
  readonly pattern: string;
  readonly handler: EventHandler;
  /** The server-named exclusive queue of the current connection, if bound. */
  queue: string | undefined;
  consumerTag: string | undefined;
}

/**
 * Fan-out notices over one topic exchange: every listener gets an exclusive, auto-deleted queue of
 * its own bound to its pattern, consumed without acks. Nothing is durable: a notice published while
 * nobody listens, or during an outage, is dropped (the port promises best effort only).
 */
export class EventBus {
  /** One channel per connection for publishing and consuming notices. */
  private channel: Promise<Channel> | undefined;
  private channelOf: ChannelModel | undefined;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly host: EventBusHost) {}

  async publish(topic: string, event: BrokerEvent): Promise<void> {
    const connection = this.host.connection();
    if (connection === undefined) return; // best effort: dropped during an outage
    try {
      const channel = await this.channelFor(connection);
      channel.publish(this.host.exchange, topic, Buffer.from(JSON.stringify(event)), {
        contentType: 'application/json',
        persistent: false,
      });
    } catch (error) {
      this.host.logger.debug({ topic, err: errorMessage(error) }, 'an event was dropped');
    }
  }

  async subscribe(pattern: string, handler: EventHandler): Promise<Unsubscribe> {
    const listener: Listener = { pattern, handler, queue: undefined, consumerTag: undefined };
    const connection = await this.host.connected();
    this.listeners.add(listener);
    try {
      await this.bind(connection, listener);
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    return async () => {
      if (!this.listeners.delete(listener)) return;
      const tag = listener.consumerTag;
      listener.consumerTag = undefined;
      const current = this.host.connection();
      if (tag === undefined || current === undefined) return;
      // The exclusive queue goes with its consumer (auto-delete).
      await this.channelFor(current)
        .then((channel) => channel.cancel(tag))
        .catch(() => undefined);
    };
  }

  /** After a reconnection: every listener gets a queue on the new connection. */
  reattach(connection: ChannelModel): void {
    for (const listener of this.listeners) {
      this.bind(connection, listener).catch((error: unknown) => {
        this.host.logger.warn(
          { pattern: listener.pattern, err: errorMessage(error) },
          'could not listen again',
        );
      });
    }
  }

  clear(): void {
    this.listeners.clear();
    this.channel = undefined;
    this.channelOf = undefined;
  }

  private async bind(connection: ChannelModel, listener: Listener): Promise<void> {
    const channel = await this.channelFor(connection);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, this.host.exchange, listener.pattern);
    const { consumerTag } = await channel.consume(
      queue,
      (delivery: ConsumeMessage | null) => {
        if (delivery === null || !this.listeners.has(listener)) return;
        this.deliver(listener, delivery);
      },
      { noAck: true, exclusive: true },
    );
    listener.queue = queue;
    listener.consumerTag = consumerTag;
  }

  private deliver(listener: Listener, delivery: ConsumeMessage): void {
    try {
      const event = JSON.parse(delivery.content.toString('utf8')) as BrokerEvent;
      listener.handler(delivery.fields.routingKey, event);
    } catch (error) {
      this.host.logger.warn(
        { pattern: listener.pattern, err: errorMessage(error) },
        'an event could not be handled',
      );
    }
  }

  private channelFor(connection: ChannelModel): Promise<Channel> {
    if (this.channel !== undefined && this.channelOf === connection) return this.channel;
    const created = connection.createChannel().then(async (channel) => {
      channel.on('error', (error: unknown) => {
        this.host.logger.warn({ err: errorMessage(error) }, 'event channel error');
      });
      channel.on('close', () => {
        if (this.channel !== created) return;
        this.channel = undefined;
        // A channel lost on a live connection: listen again on a fresh one.
        const live = this.host.connection();
        if (live === connection) this.reattach(live);
      });
      try {
        await channel.assertExchange(this.host.exchange, 'topic', { durable: false, autoDelete: false });
      } catch (error) {
        await closeQuietly(channel);
        throw error;
      }
      return channel;
    });
    created.catch(() => {
      if (this.channel === created) this.channel = undefined;
    });
    this.channel = created;
    this.channelOf = connection;
    return created;
  }
}
