/** How every queue is declared on RabbitMQ: decided from its name, alike in every process. */
import type { ChannelModel, Options } from 'amqplib';
import { isReservedQueue, QUEUE, workerQueue, type Logger } from '@tork/domain';
import { closeQuietly } from './channels.js';

/** A worker queue nobody consumes (its worker is gone) is deleted after this long. */
const WORKER_QUEUE_EXPIRES_MS = 60_000;
const WORKER_QUEUE_PREFIX = workerQueue('');

export interface QueueShape {
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
export function queueShape(queue: string, heartbeatQueueTtlMs: number): QueueShape {
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
export async function declareQueue(
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
