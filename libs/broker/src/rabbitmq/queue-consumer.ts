import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { errorMessage, type Logger, type MessageHandler, type SubscribeOptions } from '@tork/domain';
import { closeQuietly } from './channels.js';
import { DeliveryHandler, type DeliverySettlement } from './delivery-handler.js';
import type { QueueShape } from './topology.js';
import { declareQueue } from './topology.js';

export interface Settings {
  readonly url: string;
  readonly queuePrefix: string;
  readonly heartbeatQueueTtlMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly outageWaitMs: number;
  readonly connectionName: string;
}

/** What a consumer needs from its broker. */
export interface ConsumerHost {
  readonly logger: Logger;
  readonly settings: Settings;
  connection(): ChannelModel | undefined;
  republish(
    queue: string,
    type: string,
    body: Buffer,
    meta: { attempt: number; priority: number; headers: Readonly<Record<string, string>> },
  ): Promise<void>;
  /** Keeps a delivery no handler can read on the dead-letter queue, as it came. */
  deadLetter(queue: string, body: Buffer, reason: string): Promise<void>;
  forget(consumer: QueueConsumer): void;
}

/** A channel of one subscription, with the state that dies with it. */
interface Live {
  readonly channel: Channel;
  open: boolean;
  consumerTag: string | undefined;
  /** The prefetch the current consumer started with. */
  prefetch: number;
  /** Deliveries not yet acknowledged or returned, by the consumer they came to. */
  readonly unsettled: Map<string, number>;
  /** Acknowledgements by manual-ack handlers still running, sent once the consumer is off (see sync). */
  readonly earlyAcks: ConsumeMessage[];
  /** Deliveries that came with no free slot (while closing): returned to the queue. */
  readonly held: ConsumeMessage[];
}

/**
 * One subscription: a channel of its own, re-opened after the channel or connection dies, and the
 * flow of deliveries to its handlers (DeliveryHandler handles each one).
 *
 * A manual-ack subscription keeps RabbitMQ's credit for its consumer (prefetch less the deliveries
 * it has not settled) at most its free slots, so a delivery always finds a slot and RabbitMQ keeps
 * the rest, in priority order, for whichever consumer is free. Handlers that settle at their end
 * keep credit and slots in step by themselves. An acknowledgement by a handler that still runs
 * would raise the credit and not the free slots: it is sent with the consumer off, and a consumer
 * starts again with the slots then free (as it does when slots free up that an earlier consumer's
 * deliveries held). That costs a cancel, a prefetch and a consume per early acknowledgement; quick
 * handlers cost none.
 */
export class QueueConsumer {
  private live: Live | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;
  private closed: Promise<void> | undefined;
  private attaching: Promise<void> | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private retryDelayMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly manualAck: boolean;
  private readonly deliveries: DeliveryHandler;
  private readonly logger: Logger;
  /** The queue's name on the server. */
  private readonly name: string;

  constructor(
    private readonly host: ConsumerHost,
    queue: string,
    private readonly shape: QueueShape,
    handler: MessageHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.name = `${host.settings.queuePrefix}${queue}`;
    this.manualAck = options.ack === 'manual';
    this.retryDelayMs = host.settings.initialDelayMs;
    this.logger = host.logger.child({ queue: this.name });
    this.deliveries = new DeliveryHandler({ queue, host, handler, options, logger: this.logger });
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
    await this.syncing;
    const live = this.live;
    this.live = undefined;
    if (live?.open === true) {
      // Handlers that acknowledged while draining: the consumer is off, so they go now.
      this.sendEarlyAcks(live);
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
    const live: Live = {
      channel,
      open: true,
      consumerTag: undefined,
      prefetch: 0,
      unsettled: new Map(),
      earlyAcks: [],
      held: [],
    };
    channel.on('error', (error: unknown) => {
      this.logger.warn({ err: errorMessage(error) }, 'consumer channel error');
    });
    channel.on('close', () => {
      this.channelClosed(live);
    });
    try {
      if (!this.shape.priority) await channel.assertQueue(this.name, this.shape.options);
      if (!this.manualAck) await channel.prefetch(this.options.concurrency);
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
    live.earlyAcks.length = 0;
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

  /**
   * Turns the consumer on or off as wanted: off when closing; for manual ack, off to send early
   * acknowledgements, and started again with the free slots as its prefetch.
   */
  private async sync(): Promise<void> {
    for (;;) {
      const live = this.live;
      if (live?.open !== true) return;
      const consuming = live.consumerTag !== undefined;
      if (this.closing) {
        if (consuming) {
          await this.cancel(live);
          continue;
        }
        this.sendEarlyAcks(live);
        this.returnHeld(live);
        return;
      }
      if (!this.manualAck) {
        if (!consuming) await this.consume(live, this.options.concurrency);
        return;
      }
      const free = this.options.concurrency - this.inFlight.size;
      const credit = live.prefetch - (live.unsettled.get(live.consumerTag ?? '') ?? 0);
      if (consuming && (live.earlyAcks.length > 0 || free > credit)) {
        await this.cancel(live);
        continue;
      }
      if (!consuming) {
        this.sendEarlyAcks(live);
        if (free > 0) await this.consume(live, free);
      }
      return;
    }
  }

  private async consume(live: Live, prefetch: number): Promise<void> {
    // A prefetch applies to the consumers started after it.
    if (this.manualAck) await live.channel.prefetch(prefetch);
    const { consumerTag } = await live.channel.consume(
      this.name,
      (delivery) => {
        this.onDelivery(live, delivery);
      },
      { noAck: false },
    );
    live.consumerTag = consumerTag;
    live.prefetch = prefetch;
  }

  /** Cancels the consumer: after cancel-ok nothing more comes to it. */
  private async cancel(live: Live): Promise<void> {
    const tag = live.consumerTag;
    if (tag === undefined) return;
    live.consumerTag = undefined;
    await live.channel.cancel(tag);
  }

  private sendEarlyAcks(live: Live): void {
    for (const delivery of live.earlyAcks.splice(0)) this.settle(live, delivery, 'ack');
  }

  private onDelivery(live: Live, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      // RabbitMQ cancelled the consumer (its queue was deleted): a new channel declares it again.
      this.logger.warn({}, 'RabbitMQ cancelled the consumer; subscribing again');
      live.consumerTag = undefined;
      void closeQuietly(live.channel);
      return;
    }
    const tag = delivery.fields.consumerTag;
    live.unsettled.set(tag, (live.unsettled.get(tag) ?? 0) + 1);
    if (this.manualAck && (this.closing || this.inFlight.size >= this.options.concurrency)) {
      live.held.push(delivery);
      return;
    }
    this.start(live, delivery);
  }

  private start(live: Live, delivery: ConsumeMessage): void {
    const run: Promise<void> = this.deliveries
      .handle(delivery, this.settlement(live, delivery))
      .catch((error: unknown) => {
        this.logger.error({ err: errorMessage(error) }, 'handling a delivery failed');
      })
      .finally(() => {
        this.inFlight.delete(run);
        // The slot is free on whichever channel is current: this delivery's may be gone.
        const current = this.live;
        if (current === undefined) return;
        this.startHeld(current);
        if (this.manualAck) this.requestSync();
      });
    this.inFlight.add(run);
  }

  private startHeld(live: Live): void {
    while (live.open && !this.closing && this.inFlight.size < this.options.concurrency) {
      const next = live.held.shift();
      if (next === undefined) return;
      this.start(live, next);
    }
  }

  /** Gives deliveries that came while closing back to the queue, once the consumer is off. */
  private returnHeld(live: Live): void {
    for (const delivery of live.held.splice(0)) this.settle(live, delivery, 'requeue');
  }

  /** What the handling of a delivery settles it with: on its own channel, early acks through sync. */
  private settlement(live: Live, delivery: ConsumeMessage): DeliverySettlement {
    return {
      settle: (how) => {
        this.settle(live, delivery, how);
      },
      ackEarly: () => {
        live.earlyAcks.push(delivery);
        this.requestSync();
      },
    };
  }

  /**
   * Acknowledges, or returns to the queue, on the channel the delivery came on. Once that channel is
   * gone its delivery tags mean nothing (on another channel they are an error): the message is RabbitMQ's again.
   */
  private settle(live: Live, delivery: ConsumeMessage, how: 'ack' | 'requeue'): void {
    if (!live.open) return;
    const tag = delivery.fields.consumerTag;
    const left = (live.unsettled.get(tag) ?? 1) - 1;
    if (left > 0) live.unsettled.set(tag, left);
    else live.unsettled.delete(tag);
    try {
      if (how === 'ack') live.channel.ack(delivery);
      else live.channel.nack(delivery, false, true);
    } catch (error) {
      this.logger.debug({ err: errorMessage(error) }, 'could not settle a delivery: its channel is closing');
    }
  }
}
