import type { Channel, ChannelModel } from 'amqplib';
import { TorkError } from '@tork/domain';

/** RabbitMQ answered no (a nack, or a channel error with a reply code): trying again would not help. */
export function isRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.message === 'message nacked' || ('code' in error && typeof error.code === 'number');
}

/** Closes a channel or connection; amqplib's close() never settles when the socket dies first, its 'close' event always comes. */
export function closeQuietly(target: Channel | ChannelModel): Promise<void> {
  return new Promise<void>((resolve) => {
    target.once('close', () => {
      resolve();
    });
    target.close().then(resolve, () => {
      resolve();
    });
  });
}

export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

export function closedError(): TorkError {
  return new TorkError('UNAVAILABLE', 'the RabbitMQ broker is closed');
}
