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
 * consumer is turned off while every slot is busy.
 *
 * Delivery counting: a message carries its attempt in the `x-tork-attempt` header (1 when absent).
 * When a handler rejects, a copy with the header incremented is published (and confirmed) before the
 * original is acknowledged: a crash in between duplicates, never loses. A delivery RabbitMQ marks
 * `redelivered` (its consumer died holding it) counts as one more attempt, persisted the same way
 * before it is handled, so a message that kills its consumer every time is still given up on.
 */
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Options,
} from 'amqplib';
import {
  decodeMessage,
  encodeMessage,
  errorMessage,
  isReservedQueue,
  maskPayload,
  noopMetrics,
  QUEUE,
  silentLogger,
  TorkError,
  workerQueue,
  type Broker,
  type Logger,
  type Message,
  type MessageHandler,
  type Metrics,
  type PublishOptions,
  type PurgedQueue,
  type QueueInfo,
  type SubscribeOptions,
  type Subscription,
} from '@tork/domain';
import { coalesceWrites } from './coalesce-writes.js';
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

const ATTEMPT_HEADER = 'x-tork-attempt';
const CONTENT_TYPE = 'application/json';
const DEFAULT_MAX_DELIVERIES = 5;
const CONNECT_TIMEOUT_MS = 10_000;
/** A worker queue nobody consumes (its worker is gone) is deleted after this long. */
const WORKER_QUEUE_EXPIRES_MS = 60_000;
/** Pause before publishing again on a fresh channel after the last one died under a publish. */
const REPUBLISH_PAUSE_MS = 50;
const WORKER_QUEUE_PREFIX = workerQueue('');

interface QueueShape {
  readonly options: Options.AssertQueue;
  /** Deleted with its last consumer, so never remembered as declared. */
  readonly transient: boolean;
  /** A work queue: consumers take its messages by priority (`x-max-priority`). */
  readonly priority: boolean;
}

/** The highest priority a task may have (its spec's `priority`, 0-9). */
const MAX_PRIORITY = 9;
/** RabbitMQ's reply to a declaration whose arguments differ from the existing queue's. */
const PRECONDITION_FAILED = 406;

/**
 * How a queue is declared, decided from its name alone so that every process declares it alike
 * (RabbitMQ refuses a declaration whose arguments differ from the queue's).
 * A worker's `x-<id>` queue is durable but auto-deleted with its last consumer, and expires when
 * nobody consumes it (a publisher may create it after its worker died); RabbitMQ 4.3 refuses
 * non-durable queues that are not exclusive, and an exclusive one could not be declared by publishers.
 */
function queueShape(queue: string, heartbeatQueueTtlMs: number): QueueShape {
  if (queue.startsWith(WORKER_QUEUE_PREFIX)) {
    const options = { durable: true, autoDelete: true, arguments: { 'x-expires': WORKER_QUEUE_EXPIRES_MS } };
    return { transient: true, priority: false, options };
  }
  if (queue === QUEUE.heartbeat) {
    const options = { durable: true, arguments: { 'x-message-ttl': heartbeatQueueTtlMs } };
    return { transient: false, priority: false, options };
  }
  if (isReservedQueue(queue)) return { transient: false, priority: false, options: { durable: true } };
  const options = { durable: true, arguments: { 'x-max-priority': MAX_PRIORITY } };
  return { transient: false, priority: true, options };
}

/**
 * Declares a queue on a channel of its own, as its shape says. A work queue that an older version
 * declared without priorities answers PRECONDITION_FAILED (and closes that channel): it is then used
 * as it is, its priorities ignored, until it is deleted and declared again (the README's upgrade path).
 * Answers whether the queue takes priorities.
 */
async function declareQueue(
  connection: ChannelModel,
  name: string,
  shape: QueueShape,
  logger: Logger,
): Promise<boolean> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // a refused declaration closes it: answered below
  try {
    await channel.assertQueue(name, shape.options);
    return shape.priority;
  } catch (error) {
    if (!shape.priority || !isPreconditionFailed(error)) throw error;
  } finally {
    await closeQuietly(channel);
  }
  const check = await connection.createChannel();
  try {
    await check.checkQueue(name);
  } finally {
    await closeQuietly(check);
  }
  logger.warn(
    { queue: name },
    'the queue exists without priorities (declared by an older version): task priorities are ignored on it until it is deleted and declared again',
  );
  return false;
}

function isPreconditionFailed(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === PRECONDITION_FAILED;
}

interface Settings {
  readonly url: string;
  readonly queuePrefix: string;
  readonly heartbeatQueueTtlMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly outageWaitMs: number;
  readonly connectionName: string;
}

/** What a consumer needs from its broker. */
interface ConsumerHost {
  readonly logger: Logger;
  readonly settings: Settings;
  connection(): ChannelModel | undefined;
  republish(queue: string, type: string, body: Buffer, attempt: number, priority: number): Promise<void>;
  /** Keeps a delivery no handler can read on the dead-letter queue, as it came. */
  deadLetter(queue: string, body: Buffer, reason: string): Promise<void>;
  forget(consumer: QueueConsumer): void;
}

/** A publish RabbitMQ could not route (no such queue) and handed back. */
class ReturnedError extends Error {}

export class RabbitMqBroker implements Broker {
  private readonly settings: Settings;
  private readonly logger: Logger;
  private readonly host: ConsumerHost;
  private connection: ChannelModel | undefined;
  private publisher: Promise<ConfirmChannel> | undefined;
  /** Queues declared on the current connection. */
  private declared = new Set<string>();
  /** Publishes waiting for their confirm, by message id: marked when RabbitMQ returns them. */
  private readonly unconfirmed = new Map<string, { returned: boolean }>();
  private readonly consumers = new Set<QueueConsumer>();
  /** Told whenever the connection comes or the broker closes: publishes waiting out an outage. */
  private readonly waiters = new Set<() => void>();
  private reconnectDelayMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** No new subscriptions; publishes still go out for the handlers being drained. */
  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private readonly queueViews: RabbitMqQueues;
  private readonly metrics: Pick<Metrics, 'observeBrokerConfirm'>;

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
    this.metrics = options.metrics ?? noopMetrics;
    this.reconnectDelayMs = this.settings.initialDelayMs;
    this.queueViews = new RabbitMqQueues({
      connection: () => this.connected(Date.now() + this.settings.outageWaitMs),
      queuePrefix: this.settings.queuePrefix,
      amqpUrl: options.url,
      ...(options.managementUrl === undefined ? {} : { managementUrl: options.managementUrl }),
      ...(options.knownQueues === undefined ? {} : { knownQueues: options.knownQueues }),
    });
    this.host = {
      logger: this.logger,
      settings: this.settings,
      connection: () => this.connection,
      republish: (queue, type, body, attempt, priority) => this.send(queue, type, body, attempt, priority),
      deadLetter: (queue, body, reason) =>
        this.send(QUEUE.deadLetters, 'dead-letter', body, 1, 0, {
          'x-tork-queue': queue,
          'x-tork-reason': reason,
        }),
      forget: (consumer) => {
        this.consumers.delete(consumer);
      },
    };
  }

  /** Connects, or rejects when RabbitMQ cannot be reached now. */
  static async connect(options: RabbitMqBrokerOptions): Promise<RabbitMqBroker> {
    const broker = new RabbitMqBroker(options);
    await broker.open();
    return broker;
  }

  async publish(queue: string, message: Message, options: PublishOptions = {}): Promise<void> {
    if (this.closed) throw closedError();
    await this.send(queue, message.type, encodeMessage(message), 1, options.priority ?? 0);
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

  // --- queue views (rabbitmq-queues.ts) ---
  queues(): Promise<QueueInfo[]> {
    return this.queueViews.list();
  }

  queue(name: string): Promise<QueueInfo | undefined> {
    return this.queueViews.get(name);
  }

  purgeQueue(name: string): Promise<PurgedQueue | undefined> {
    return this.queueViews.purge(name);
  }
  // --- end of queue views ---

  async healthCheck(): Promise<void> {
    if (this.closed) throw closedError();
    const connection = this.connection;
    if (connection === undefined)
      throw new TorkError('UNAVAILABLE', 'not connected to RabbitMQ (reconnecting)', { retryable: true });
    await this.publisherChannel(connection);
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.wakeWaiters();
    const connection = this.connection;
    this.connection = undefined;
    this.publisher = undefined;
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
    this.declared = new Set();
    this.publisher = undefined;
    this.reconnectDelayMs = this.settings.initialDelayMs;
    this.wakeWaiters();
  }

  private connectionLost(connection: ChannelModel): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.publisher = undefined;
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

  /** The one confirm channel publishes share, opened again when it dies. */
  private publisherChannel(connection: ChannelModel): Promise<ConfirmChannel> {
    if (this.publisher !== undefined) return this.publisher;
    const created = connection.createConfirmChannel().then((channel) => {
      channel.on('error', (error: unknown) => {
        this.logger.warn({ err: errorMessage(error) }, 'publisher channel error');
      });
      channel.on('close', () => {
        if (this.publisher === created) this.publisher = undefined;
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
      if (this.publisher === created) this.publisher = undefined;
    });
    this.publisher = created;
    return created;
  }

  /**
   * Declares the queue (once per connection) and publishes with a confirm. A channel or connection
   * lost under the publish is waited out (up to outageWaitMs) and the publish made again: at least
   * once, never silently dropped. A refusal by RabbitMQ (nack, declaration refused) rejects at once.
   */
  private async send(
    queue: string,
    type: string,
    body: Buffer,
    attempt: number,
    priority: number,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const name = this.physical(queue);
    const shape = queueShape(queue, this.settings.heartbeatQueueTtlMs);
    const deadline = Date.now() + this.settings.outageWaitMs;
    let returns = 0;
    for (;;) {
      const connection = await this.connected(deadline);
      try {
        const channel = await this.publisherChannel(connection);
        if (shape.transient || !this.declared.has(name)) {
          // A work queue is declared on a channel of its own: a refusal closes the channel it came on.
          if (shape.priority) await declareQueue(connection, name, shape, this.logger);
          else await channel.assertQueue(name, shape.options);
          if (!shape.transient && this.connection === connection) this.declared.add(name);
        }
        const sentAt = performance.now();
        await this.confirm(channel, name, type, body, { attempt, priority, headers });
        this.metrics.observeBrokerConfirm((performance.now() - sentAt) / 1000);
        return;
      } catch (error) {
        if (this.closed) throw closedError();
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
        this.logger.debug({ queue: name, err: errorMessage(error) }, 'publish interrupted; publishing again');
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

/** A channel of one subscription, with the state that dies with it. */
interface Live {
  readonly channel: Channel;
  open: boolean;
  consumerTag: string | undefined;
  /** Deliveries of a manual-ack subscription that came while every slot was busy (at most the prefetch, 1). */
  readonly held: ConsumeMessage[];
}

/**
 * One subscription: a channel of its own with prefetch, re-opened after the channel or connection
 * dies. A manual-ack subscription turns its consumer off while every slot is busy, since prefetch
 * only bounds unacknowledged deliveries.
 */
class QueueConsumer {
  private live: Live | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;
  private closed: Promise<void> | undefined;
  private attaching: Promise<void> | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private retryDelayMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly manualAck: boolean;
  private readonly maxDeliveries: number;
  private readonly logger: Logger;
  /** The queue's name on the server. */
  private readonly name: string;

  constructor(
    private readonly host: ConsumerHost,
    private readonly queue: string,
    private readonly shape: QueueShape,
    private readonly handler: MessageHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.name = `${host.settings.queuePrefix}${queue}`;
    this.manualAck = options.ack === 'manual';
    this.maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
    this.retryDelayMs = host.settings.initialDelayMs;
    this.logger = host.logger.child({ queue: this.name });
  }

  /** Opens a channel, declares the queue and starts consuming; nothing while attached or disconnected. */
  attach(): Promise<void> {
    this.attaching ??= this.openChannel().finally(() => {
      this.attaching = undefined;
    });
    return this.attaching;
  }

  /** After a reconnection, or a channel lost on a live connection: attach, retrying with backoff. */
  reattach(): void {
    this.attach().then(
      () => {
        this.retryDelayMs = this.host.settings.initialDelayMs;
      },
      (error: unknown) => {
        this.logger.warn({ err: errorMessage(error) }, 'resubscribing failed; trying again');
        this.scheduleReattach();
      },
    );
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    await this.attaching?.catch(() => undefined);
    // Cancel the consumer: after cancel-ok nothing more is delivered.
    this.requestSync();
    await this.syncing;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const live = this.live;
    this.live = undefined;
    if (live?.open === true) {
      this.returnHeld(live);
      await closeQuietly(live.channel);
    }
    this.host.forget(this);
  }

  private scheduleReattach(): void {
    if (this.closing || this.retryTimer !== undefined) return;
    const delayMs = this.retryDelayMs;
    this.retryDelayMs = Math.min(delayMs * 2, this.host.settings.maxDelayMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.reattach();
    }, delayMs);
  }

  private async openChannel(): Promise<void> {
    if (this.closing || this.live?.open === true) return;
    const connection = this.host.connection();
    if (connection === undefined) return; // the reconnection attaches every subscription
    // A work queue is declared first on a channel of its own: a refusal would close this one.
    if (this.shape.priority) await declareQueue(connection, this.name, this.shape, this.logger);
    const channel = await connection.createChannel();
    const live: Live = { channel, open: true, consumerTag: undefined, held: [] };
    channel.on('error', (error: unknown) => {
      this.logger.warn({ err: errorMessage(error) }, 'consumer channel error');
    });
    channel.on('close', () => {
      this.channelClosed(live);
    });
    try {
      if (!this.shape.priority) await channel.assertQueue(this.name, this.shape.options);
      await channel.prefetch(this.manualAck ? 1 : this.options.concurrency);
    } catch (error) {
      await closeQuietly(channel);
      throw error;
    }
    this.live = live;
    this.requestSync();
    await this.syncing;
  }

  private channelClosed(live: Live): void {
    // Its delivery tags died with it: RabbitMQ requeues what it held, handlers still running keep going unacknowledged.
    live.open = false;
    live.consumerTag = undefined;
    live.held.length = 0;
    if (this.live !== live) return;
    this.live = undefined;
    if (this.closing) return;
    this.logger.warn({}, 'consumer channel closed; subscribing again');
    if (this.host.connection() !== undefined) this.scheduleReattach();
  }

  private requestSync(): void {
    this.syncing = this.syncing
      .then(() => this.sync())
      .catch((error: unknown) => {
        this.logger.warn({ err: errorMessage(error) }, 'starting or stopping the consumer failed');
      });
  }

  /** Turns the consumer on or off as wanted: off when closing, or (manual ack) when every slot is busy. */
  private async sync(): Promise<void> {
    for (;;) {
      const live = this.live;
      if (live?.open !== true) return;
      this.startHeld(live);
      const wanted = !this.closing && (!this.manualAck || this.inFlight.size < this.options.concurrency);
      const consuming = live.consumerTag !== undefined;
      if (wanted === consuming) {
        if (!wanted) this.returnHeld(live);
        return;
      }
      if (wanted) {
        const { consumerTag } = await live.channel.consume(
          this.name,
          (delivery) => {
            this.onDelivery(live, delivery);
          },
          { noAck: false },
        );
        live.consumerTag = consumerTag;
      } else if (live.consumerTag !== undefined) {
        const tag = live.consumerTag;
        live.consumerTag = undefined;
        await live.channel.cancel(tag);
      }
    }
  }

  private onDelivery(live: Live, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      // RabbitMQ cancelled the consumer (its queue was deleted): a new channel declares it again.
      this.logger.warn({}, 'RabbitMQ cancelled the consumer; subscribing again');
      live.consumerTag = undefined;
      void closeQuietly(live.channel);
      return;
    }
    if (this.manualAck && (this.closing || this.inFlight.size >= this.options.concurrency)) {
      live.held.push(delivery);
      this.requestSync();
      return;
    }
    this.start(live, delivery);
  }

  private start(live: Live, delivery: ConsumeMessage): void {
    const run: Promise<void> = this.handle(live, delivery)
      .catch((error: unknown) => {
        this.logger.error({ err: errorMessage(error) }, 'handling a delivery failed');
      })
      .finally(() => {
        this.inFlight.delete(run);
        if (this.manualAck) this.requestSync();
      });
    this.inFlight.add(run);
    if (this.manualAck) this.requestSync();
  }

  private startHeld(live: Live): void {
    while (!this.closing && this.inFlight.size < this.options.concurrency) {
      const next = live.held.shift();
      if (next === undefined) return;
      this.start(live, next);
    }
  }

  /** Gives deliveries held for a slot back to the queue, once the consumer is off. */
  private returnHeld(live: Live): void {
    for (const delivery of live.held.splice(0)) this.settle(live, delivery, 'requeue');
  }

  private async handle(live: Live, delivery: ConsumeMessage): Promise<void> {
    const decoded = decodeMessage(delivery.content);
    if (!decoded.ok) {
      // Never handled, never the cause of an unrelated failure: kept where an operator can look.
      this.logger.error(
        {
          type: delivery.properties.type as unknown,
          reason: decoded.reason,
          payload: maskPayload(delivery.content),
        },
        'a delivery that is not a message of this version goes to the dead-letter queue',
      );
      try {
        await this.host.deadLetter(this.queue, delivery.content, decoded.reason);
        this.settle(live, delivery, 'ack');
      } catch (error) {
        this.logger.warn({ err: errorMessage(error) }, 'could not keep a dead letter; returning it');
        this.settle(live, delivery, 'requeue');
      }
      return;
    }
    const message = decoded.message;
    let attempt = attemptOf(delivery);
    if (delivery.fields.redelivered) {
      // A consumer died holding it: that was an attempt as well. Count it in the message before handling it.
      attempt += 1;
      if (attempt > this.maxDeliveries) {
        const reason = `delivered ${this.maxDeliveries} times; the last consumer stopped before acknowledging it`;
        await this.giveUp(message, new Error(reason));
        this.settle(live, delivery, 'ack');
      } else {
        await this.requeue(live, delivery, message.type, attempt);
      }
      return;
    }
    const settled = { acknowledged: false };
    const ack = (): void => {
      if (settled.acknowledged) return;
      settled.acknowledged = true;
      this.settle(live, delivery, 'ack');
    };
    try {
      await this.handler(message, { attempt, ack: this.manualAck ? ack : () => undefined });
    } catch (error) {
      if (settled.acknowledged) {
        this.logger.error(
          { type: message.type, attempt, err: errorMessage(error) },
          'handler failed after acknowledging its message, which is not delivered again',
        );
        return;
      }
      this.logger.warn({ type: message.type, attempt, err: errorMessage(error) }, 'handler failed');
      if (attempt < this.maxDeliveries) {
        await this.requeue(live, delivery, message.type, attempt + 1);
        return;
      }
      await this.giveUp(message, error);
    }
    ack();
  }

  /** Publishes a copy carrying `attempt` to the back of the queue, then acknowledges the original. */
  private async requeue(live: Live, delivery: ConsumeMessage, type: string, attempt: number): Promise<void> {
    try {
      await this.host.republish(this.queue, type, delivery.content, attempt, priorityOf(delivery));
    } catch (error) {
      // Back to RabbitMQ, which delivers it again marked redelivered: counted as a further attempt.
      this.logger.warn(
        { type, attempt, err: errorMessage(error) },
        'could not queue a copy; returning the message',
      );
      this.settle(live, delivery, 'requeue');
      return;
    }
    this.settle(live, delivery, 'ack');
  }

  private async giveUp(message: Message, error: unknown): Promise<void> {
    this.logger.warn({ type: message.type, err: errorMessage(error) }, 'giving up on a message');
    try {
      await this.options.onGiveUp?.(message, error);
    } catch (giveUpError) {
      this.logger.error({ type: message.type, err: errorMessage(giveUpError) }, 'giving up failed');
    }
  }

  /**
   * Acknowledges, or returns to the queue, on the channel the delivery came on. Once that channel is
   * gone its delivery tags mean nothing (on another channel they are an error): the message is RabbitMQ's again.
   */
  private settle(live: Live, delivery: ConsumeMessage, how: 'ack' | 'requeue'): void {
    if (!live.open) return;
    try {
      if (how === 'ack') live.channel.ack(delivery);
      else live.channel.nack(delivery, false, true);
    } catch (error) {
      this.logger.debug({ err: errorMessage(error) }, 'could not settle a delivery: its channel is closing');
    }
  }
}

function priorityOf(delivery: ConsumeMessage): number {
  const value: unknown = delivery.properties.priority;
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}

function attemptOf(delivery: ConsumeMessage): number {
  const value: unknown = delivery.properties.headers?.[ATTEMPT_HEADER];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : 1;
}

/** RabbitMQ answered no (a nack, or a channel error with a reply code): trying again would not help. */
function isRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.message === 'message nacked' || ('code' in error && typeof error.code === 'number');
}

/** Closes a channel or connection; amqplib's close() never settles when the socket dies first, its 'close' event always comes. */
function closeQuietly(target: Channel | ChannelModel): Promise<void> {
  return new Promise<void>((resolve) => {
    target.once('close', () => {
      resolve();
    });
    target.close().then(resolve, () => {
      resolve();
    });
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function closedError(): TorkError {
  return new TorkError('UNAVAILABLE', 'the RabbitMQ broker is closed');
}
