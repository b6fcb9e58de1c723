import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import {
  errorMessage,
  type BrokerEvent,
  type EventHandler,
  type Logger,
  type Unsubscribe,
} from '@tork/domain';
import { closeQuietly } from './channels.js';
import { isExactTopic, topicMatches } from './topic-pattern.js';

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
}

/** The one queue of this process's listeners on a connection, and what it is bound to. */
interface Inbox {
  readonly channel: Channel;
  readonly queue: string;
}

/**
 * Fan-out notices over one topic exchange. The listeners of a process share one exclusive queue
 * per connection, consumed without acks, with one binding per pattern that some listener follows:
 * following a job's stream costs RabbitMQ a binding, not a queue. A delivery goes to every listener
 * whose pattern matches its routing key. Nothing is durable: a notice published while nobody
 * listens, or during an outage, is dropped (the port promises best effort only).
 */
export class EventBus {
  /** One channel per connection for publishing and consuming notices. */
  private channel: Promise<Channel> | undefined;
  private channelOf: ChannelModel | undefined;
  /** Declared on the first subscription of a connection (a process that only publishes has none). */
  private inbox: Promise<Inbox> | undefined;
  private inboxOf: ChannelModel | undefined;
  /** The patterns bound to the current inbox's queue, or being bound. */
  private bound = new Map<string, Promise<void>>();
  /** Listeners by their exact topic, and those whose pattern has wildcards. */
  private readonly exact = new Map<string, Set<Listener>>();
  private readonly wildcard = new Set<Listener>();

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
    const listener: Listener = { pattern, handler };
    const connection = await this.host.connected();
    this.add(listener);
    try {
      await this.bind(connection, pattern);
    } catch (error) {
      this.remove(listener);
      throw error;
    }
    return async () => {
      if (!this.remove(listener) || this.follows(pattern) || !this.bound.delete(pattern)) return;
      // The last listener of its pattern: the binding goes (a subscription made meanwhile binds again after it).
      const inbox = this.inbox;
      if (inbox === undefined || this.inboxOf !== this.host.connection()) return;
      await inbox
        .then(({ channel, queue }) => channel.unbindQueue(queue, this.host.exchange, pattern))
        .catch(() => undefined);
    };
  }

  /** After a reconnection: a new queue, bound to every pattern followed. */
  reattach(connection: ChannelModel): void {
    for (const pattern of this.patterns()) {
      this.bind(connection, pattern).catch((error: unknown) => {
        this.host.logger.warn({ pattern, err: errorMessage(error) }, 'could not listen again');
      });
    }
  }

  clear(): void {
    this.exact.clear();
    this.wildcard.clear();
    this.bound = new Map();
    this.inbox = undefined;
    this.inboxOf = undefined;
    this.channel = undefined;
    this.channelOf = undefined;
  }

  private bind(connection: ChannelModel, pattern: string): Promise<void> {
    const inbox = this.inboxFor(connection);
    let binding = this.bound.get(pattern);
    if (binding === undefined) {
      const bound = this.bound;
      binding = inbox.then(async ({ channel, queue }) => {
        await channel.bindQueue(queue, this.host.exchange, pattern);
      });
      bound.set(pattern, binding);
      binding.catch(() => {
        if (bound.get(pattern) === binding) bound.delete(pattern);
      });
    }
    return binding;
  }

  private inboxFor(connection: ChannelModel): Promise<Inbox> {
    if (this.inbox !== undefined && this.inboxOf === connection) return this.inbox;
    const created = this.channelFor(connection).then(async (channel) => {
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.consume(
        queue,
        (delivery: ConsumeMessage | null) => {
          if (delivery !== null) this.deliver(delivery);
        },
        { noAck: true, exclusive: true },
      );
      return { channel, queue };
    });
    created.catch(() => {
      if (this.inbox === created) this.inbox = undefined;
    });
    this.inbox = created;
    this.inboxOf = connection;
    this.bound = new Map();
    return created;
  }

  private deliver(delivery: ConsumeMessage): void {
    const topic = delivery.fields.routingKey;
    const listeners = [
      ...(this.exact.get(topic) ?? []),
      ...[...this.wildcard].filter((listener) => topicMatches(listener.pattern, topic)),
    ];
    if (listeners.length === 0) return;
    let event: BrokerEvent;
    try {
      event = JSON.parse(delivery.content.toString('utf8')) as BrokerEvent;
    } catch (error) {
      this.host.logger.warn({ topic, err: errorMessage(error) }, 'an event could not be read');
      return;
    }
    for (const listener of listeners) {
      try {
        listener.handler(topic, event);
      } catch (error) {
        this.host.logger.warn(
          { pattern: listener.pattern, err: errorMessage(error) },
          'an event could not be handled',
        );
      }
    }
  }

  private add(listener: Listener): void {
    if (!isExactTopic(listener.pattern)) {
      this.wildcard.add(listener);
      return;
    }
    const same = this.exact.get(listener.pattern) ?? new Set<Listener>();
    same.add(listener);
    this.exact.set(listener.pattern, same);
  }

  /** Whether it was still listening. */
  private remove(listener: Listener): boolean {
    if (this.wildcard.delete(listener)) return true;
    const same = this.exact.get(listener.pattern);
    if (same === undefined || !same.delete(listener)) return false;
    if (same.size === 0) this.exact.delete(listener.pattern);
    return true;
  }

  private follows(pattern: string): boolean {
    return this.exact.has(pattern) || [...this.wildcard].some((listener) => listener.pattern === pattern);
  }

  private patterns(): Set<string> {
    return new Set([...this.exact.keys(), ...[...this.wildcard].map((listener) => listener.pattern)]);
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
        this.inbox = undefined;
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
