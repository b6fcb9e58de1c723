import {
  inTraceContextOf,
  withTraceContext,
  type Broker,
  type BrokerEvent,
  type EventHandler,
  type Message,
  type MessageHandler,
  type PublishOptions,
  type PurgedQueue,
  type QueueInfo,
  type SubscribeOptions,
  type Subscription,
  type Unsubscribe,
} from '@tork/domain';

/**
 * Carries trace context over any broker: a publish adds the active span's `traceparent` to the
 * message's headers, and a handler runs in the context its message's headers carry. The tork
 * command wraps its broker in it only when tracing is on, so that otherwise nothing is added.
 */
export class TraceContextBroker implements Broker {
  constructor(private readonly inner: Broker) {}

  publish(queue: string, message: Message, options?: PublishOptions): Promise<void> {
    const headers = withTraceContext(options?.headers);
    return this.inner.publish(
      queue,
      message,
      headers === options?.headers ? options : { ...options, headers },
    );
  }

  subscribe(queue: string, handler: MessageHandler, options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(
      queue,
      (message, delivery) => inTraceContextOf(delivery.headers, () => handler(message, delivery)),
      options,
    );
  }

  queues(): Promise<QueueInfo[]> {
    return this.inner.queues();
  }

  queue(name: string): Promise<QueueInfo | undefined> {
    return this.inner.queue(name);
  }

  purgeQueue(name: string): Promise<PurgedQueue | undefined> {
    return this.inner.purgeQueue(name);
  }

  publishEvent(topic: string, event: BrokerEvent): Promise<void> {
    return this.inner.publishEvent(topic, event);
  }

  subscribeEvents(pattern: string, handler: EventHandler): Promise<Unsubscribe> {
    return this.inner.subscribeEvents(pattern, handler);
  }

  healthCheck(): Promise<void> {
    return this.inner.healthCheck();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
