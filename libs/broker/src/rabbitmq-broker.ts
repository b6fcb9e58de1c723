/**
 * The Broker port over RabbitMQ (amqplib). Create it with `await RabbitMqBroker.connect(options)`,
 * which rejects when the first connection fails (the process should exit and be restarted); after
 * that, a lost connection is re-established by itself, with capped exponential backoff.
 *
 * Long tasks and RabbitMQ's consumer_timeout (30 min by default: the server closes the channel of a
 * consumer still holding a delivery and requeues it, so a second worker would run the task again).
 * Per-queue and per-consumer timeouts (`x-consumer-timeout`) exist only from RabbitMQ 3.12, and from
 * 4.3 for quorum queues only; the servers here run 3.10. So a subscription whose handlers run as long
 * as a task does subscribes with `ack: 'manual'` (the Broker port): its handler acknowledges once the
 * task's start is durable, and the delivery is never held for the length of the task. A worker that
 * dies before that gets the task delivered again; one that dies after leaves it to the scheduler's
 * dead-worker sweep. Since acknowledged deliveries no longer count against the prefetch, such a
 * consumer's prefetch follows its free slots (see QueueConsumer).
 *
 * Concerns live in ./rabbitmq/: topology (how each queue is declared), confirm-publisher,
 * queue-consumer (one subscription: its channel and the flow of deliveries), delivery-handler (one
 * delivery: decoding, handlers, settling), delivery-attempts (trying again, giving up), event-bus
 * (publish/subscribe of notices, topic-pattern), channels (closing and error helpers); this file
 * holds the connection and reconnection.
 *
 * Delivery counting: a message carries its attempt in the `x-tork-attempt` header (1 when absent).
 * When a handler rejects, a copy with the header incremented is published (and confirmed) before the
 * original is acknowledged: a crash in between duplicates, never loses. A delivery RabbitMQ marks
 * `redelivered` (its consumer died holding it) counts as one more attempt, persisted the same way
 * before it is handled, so a message that kills its consumer every time is still given up on.
 */
import { Socket } from 'node:net';
import { connect, type ChannelModel } from 'amqplib';
import {
  encodeMessage,
  errorMessage,
  noopMetrics,
  QUEUE,
  silentLogger,
  TorkError,
  workerQueue,
  type Broker,
  type BrokerEvent,
  type EventHandler,
  type Logger,
  type Message,
  type MessageHandler,
  type Metrics,
  type PurgedQueue,
  type QueueInfo,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
  type Unsubscribe,
} from '@tork/domain';
import { coalesceWrites } from './coalesce-writes.js';
import { CoalescingPublisher } from './rabbitmq/coalescing-publisher.js';
import { closedError, closeQuietly } from './rabbitmq/channels.js';
import { ConfirmPublisher } from './rabbitmq/confirm-publisher.js';
import { EventBus } from './rabbitmq/event-bus.js';
import { QueueConsumer, type ConsumerHost, type Settings } from './rabbitmq/queue-consumer.js';
import { queueShape } from './rabbitmq/topology.js';
import { RabbitMqQueues } from './rabbitmq-queues.js';

export interface RabbitMqBrokerOptions {
  /** `amqp://user:password@host:port/vhost`; `?heartbeat=N` overrides the server's heartbeat. */
  readonly url: string;
  /** Prepended to every queue name on the server, so tests (or tenants) sharing a server stay apart. */
  readonly queuePrefix?: string;
  readonly logger?: Logger;
  /** Heartbeats older than this expire unread (default 60 s). Every process must use the same value. */
  readonly heartbeatQueueTtlMs?: number;
  /** Delay before reconnecting: doubles from initialDelayMs (default 200 ms) up to maxDelayMs (default 10 s). */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** How long publish and subscribe wait for a lost connection to come back before they reject (default 30 s). */
  readonly outageWaitMs?: number;
  /** The connection's name on the server (`rabbitmqctl list_connections client_properties`). */
  readonly connectionName?: string;
  /** `http://user:password@host:15672`: queue listings from RabbitMQ's management API (see RabbitMqQueues). */
  readonly managementUrl?: string;
  /** Work queues listed without the management API, besides the engine's own and `default`. */
  readonly knownQueues?: () => Promise<readonly string[]>;
  /** Where publish-confirm latency is reported; none by default. */
  readonly metrics?: Pick<Metrics, 'observeBrokerConfirm'>;
}

/** The topic exchange of fan-out notices (publishEvent). */
const EVENTS_EXCHANGE = 'tork.events';
const CONNECT_TIMEOUT_MS = 10_000;

export class RabbitMqBroker implements Broker {
  private readonly settings: Settings;
  private readonly logger: Logger;
  private readonly host: ConsumerHost;
  private readonly events: EventBus;
  private connection: ChannelModel | undefined;
  private readonly publisher: ConfirmPublisher;
  private readonly coalescing: CoalescingPublisher;
  private readonly queueViews: RabbitMqQueues;
  private readonly consumers = new Set<QueueConsumer>();
  /** Told whenever the connection comes or the broker closes: publishes waiting out an outage. */
  private readonly waiters = new Set<() => void>();
  private reconnectDelayMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** No new subscriptions; publishes still go out for the handlers being drained. */
  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;

  private constructor(options: RabbitMqBrokerOptions) {
    this.settings = {
      url: options.url,
      queuePrefix: options.queuePrefix ?? '',
      heartbeatQueueTtlMs: options.heartbeatQueueTtlMs ?? 60_000,
      initialDelayMs: options.reconnect?.initialDelayMs ?? 200,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
      outageWaitMs: options.outageWaitMs ?? 30_000,
      connectionName: options.connectionName ?? 'tork',
    };
    this.logger = (options.logger ?? silentLogger).child({ component: 'rabbitmq' });
    this.reconnectDelayMs = this.settings.initialDelayMs;
    this.host = {
      logger: this.logger,
      settings: this.settings,
      connection: () => this.connection,
      republish: (queue, type, body, meta) =>
        this.publisher.send(queue, type, body, meta.attempt, meta.priority, meta.headers),
      deadLetter: (queue, body, reason) =>
        this.publisher.send(QUEUE.deadLetters, 'dead-letter', body, 1, 0, {
          'x-tork-queue': queue,
          'x-tork-reason': reason,
        }),
      forget: (consumer) => {
        this.consumers.delete(consumer);
      },
    };
    this.queueViews = new RabbitMqQueues({
      connection: () => this.connected(Date.now() + this.settings.outageWaitMs),
      queuePrefix: this.settings.queuePrefix,
      amqpUrl: options.url,
      ...(options.managementUrl === undefined ? {} : { managementUrl: options.managementUrl }),
      ...(options.knownQueues === undefined ? {} : { knownQueues: options.knownQueues }),
    });
    this.publisher = new ConfirmPublisher({
      logger: this.logger,
      metrics: options.metrics ?? noopMetrics,
      settings: this.settings,
      current: () => this.connection,
      connected: (deadline) => this.connected(deadline),
      isClosed: () => this.closed,
    });
    this.coalescing = new CoalescingPublisher((queue, type, body) =>
      this.publisher.send(queue, type, body, 1, 0, undefined),
    );
    this.events = new EventBus({
      logger: this.logger,
      exchange: `${this.settings.queuePrefix}${EVENTS_EXCHANGE}`,
      connection: () => this.connection,
      connected: () => this.connected(Date.now() + this.settings.outageWaitMs),
    });
  }

  /** Connects, or rejects when RabbitMQ cannot be reached now. */
  static async connect(options: RabbitMqBrokerOptions): Promise<RabbitMqBroker> {
    const broker = new RabbitMqBroker(options);
    await broker.open();
    return broker;
  }

  async publish(queue: string, message: Message, options: PublishOptions = {}): Promise<void> {
    if (this.closed) throw closedError();
    const alone =
      options.coalesce !== true ||
      (options.priority ?? 0) !== 0 ||
      Object.keys(options.headers ?? {}).length > 0;
    if (!alone) {
      await this.coalescing.publish(queue, message);
      return;
    }
    await this.publisher.send(
      queue,
      message.type,
      encodeMessage(message),
      1,
      options.priority ?? 0,
      options.headers,
    );
  }

  async publishEvent(topic: string, event: BrokerEvent): Promise<void> {
    if (this.closed) throw closedError();
    await this.events.publish(topic, event);
  }

  async subscribeEvents(pattern: string, handler: EventHandler): Promise<Unsubscribe> {
    if (this.closing) throw closedError();
    return this.events.subscribe(pattern, handler);
  }

  async subscribe(queue: string, handler: MessageHandler, options: SubscribeOptions): Promise<Subscription> {
    if (this.closing) throw closedError();
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new RangeError('concurrency must be at least 1');
    const shape = queueShape(queue, this.settings.heartbeatQueueTtlMs);
    if (options.exclusive === true && !shape.transient)
      throw new RangeError(
        `an exclusive subscription needs a worker queue (${workerQueue('<id>')}), not ${queue}`,
      );
    const consumer = new QueueConsumer(this.host, queue, shape, handler, options);
    this.consumers.add(consumer);
    try {
      await this.connected(Date.now() + this.settings.outageWaitMs);
      await consumer.attach();
    } catch (error) {
      await consumer.close();
      throw error;
    }
    return { close: () => consumer.close() };
  }

  // Queue listings and purges: rabbitmq-queues.ts.
  queues(): Promise<QueueInfo[]> {
    return this.queueViews.list();
  }

  queue(name: string): Promise<QueueInfo | undefined> {
    return this.queueViews.get(name);
  }

  purgeQueue(name: string): Promise<PurgedQueue | undefined> {
    return this.queueViews.purge(name);
  }

  async healthCheck(): Promise<void> {
    if (this.closed) throw closedError();
    const connection = this.connection;
    if (connection === undefined)
      throw new TorkError('UNAVAILABLE', 'not connected to RabbitMQ (reconnecting)', { retryable: true });
    await this.publisher.channel(connection);
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
    this.closed = true;
    this.events.clear();
    clearTimeout(this.reconnectTimer);
    this.wakeWaiters();
    const connection = this.connection;
    this.connection = undefined;
    this.publisher.reset();
    if (connection !== undefined) await closeQuietly(connection);
  }

  private physical(queue: string): string {
    return `${this.settings.queuePrefix}${queue}`;
  }

  private async open(): Promise<void> {
    const connection = await connect(this.settings.url, {
      timeout: CONNECT_TIMEOUT_MS,
      // Small frames (a confirm, an ack, a short message) must not wait for Nagle's algorithm:
      // with delayed ACKs that added ~40 ms to every hop of a task.
      noDelay: true,
      clientProperties: { connection_name: this.settings.connectionName },
    });
    // amqplib does not type its socket; where it has one, frames written in one turn go as one write.
    const socket: unknown = Reflect.get(connection.connection, 'stream');
    if (socket instanceof Socket) coalesceWrites(socket);
    connection.on('error', (error: unknown) => {
      this.logger.warn({ err: errorMessage(error) }, 'RabbitMQ connection error');
    });
    connection.on('close', () => {
      this.connectionLost(connection);
    });
    connection.on('blocked', (reason: unknown) => {
      this.logger.warn({ reason }, 'RabbitMQ blocks publishing (resource alarm)');
    });
    if (this.closed) {
      await closeQuietly(connection);
      throw closedError();
    }
    this.connection = connection;
    this.publisher.reset();
    this.reconnectDelayMs = this.settings.initialDelayMs;
    this.wakeWaiters();
  }

  private connectionLost(connection: ChannelModel): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.publisher.reset();
    if (this.closed) return;
    this.logger.warn({}, 'lost the connection to RabbitMQ; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== undefined || this.closed) return;
    const delayMs = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delayMs * 2, this.settings.maxDelayMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open().then(
        () => {
          this.logger.info({ subscriptions: this.consumers.size }, 'reconnected to RabbitMQ');
          for (const consumer of this.consumers) consumer.reattach();
          if (this.connection !== undefined) this.events.reattach(this.connection);
        },
        (error: unknown) => {
          this.logger.warn(
            { err: errorMessage(error), retryInMs: this.reconnectDelayMs },
            'reconnecting failed',
          );
          this.scheduleReconnect();
        },
      );
    }, delayMs);
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** The connection, waiting for a reconnection until `deadline`. */
  private async connected(deadline: number): Promise<ChannelModel> {
    for (;;) {
      if (this.closed) throw closedError();
      if (this.connection !== undefined) return this.connection;
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0)
        throw new TorkError(
          'UNAVAILABLE',
          `RabbitMQ unreachable: no connection for ${this.settings.outageWaitMs} ms`,
          { retryable: true },
        );
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, remainingMs);
        this.waiters.add(wake);
      });
    }
  }
}
