import { encodeMessage, encodeMessages, type Message } from '@tork/domain';

/** Messages one broker message carries at most. */
const MAX_COALESCED = 100;

/** The AMQP `type` of a broker message that carries several messages. */
export const COALESCED_TYPE = 'coalesced';

/** Sends one broker message to a queue and resolves on the broker's confirm. */
export type SendBody = (queue: string, type: string, body: Buffer) => Promise<void>;

interface Waiting {
  readonly message: Message;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for publishes (`PublishOptions.coalesce`): per queue, one broker message in flight.
 * An idle queue's message goes at once, alone; those published while it awaits its confirm wait,
 * and go as one broker message when it is confirmed. Under load a queue gets one message, one
 * confirm, one delivery and one acknowledgement per batch instead of per message.
 */
export class CoalescingPublisher {
  private readonly queues = new Map<string, Waiting[]>();

  constructor(private readonly send: SendBody) {}

  publish(queue: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiting = this.queues.get(queue);
      if (waiting !== undefined) {
        waiting.push({ message, resolve, reject });
        return;
      }
      this.queues.set(queue, []);
      void this.run(queue, [{ message, resolve, reject }]);
    });
  }

  /** Sends a batch, then the ones that came meanwhile, until none wait; then the queue is idle. */
  private async run(queue: string, first: Waiting[]): Promise<void> {
    let batch = first;
    while (batch.length > 0) {
      try {
        await this.sendBatch(queue, batch);
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
      const waiting = this.queues.get(queue) ?? [];
      batch = waiting.splice(0, MAX_COALESCED);
    }
    this.queues.delete(queue);
  }

  private sendBatch(queue: string, batch: readonly Waiting[]): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only !== undefined)
      return this.send(queue, only.message.type, encodeMessage(only.message));
    return this.send(queue, COALESCED_TYPE, encodeMessages(batch.map((entry) => entry.message)));
  }
}
