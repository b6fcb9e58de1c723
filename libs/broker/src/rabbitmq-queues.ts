import type { Channel, ChannelModel } from 'amqplib';
import {
  DEFAULT_QUEUE,
  errorMessage,
  QUEUE,
  TorkError,
  type PurgedQueue,
  type QueueInfo,
} from '@tork/domain';
import { taskIdsOf } from './purged-tasks.js';

/** What the queue views need from the broker they belong to. */
export interface QueueViewHost {
  /** The live connection, waiting out an outage as publishing does. */
  connection(): Promise<ChannelModel>;
  readonly queuePrefix: string;
  /** `amqp://…/vhost`: the vhost whose queues the management API lists. */
  readonly amqpUrl: string;
  /** `http://user:password@host:15672`: when given, listings and `unacked` come from RabbitMQ's management API. */
  readonly managementUrl?: string;
  /** Work queues to list without the management API, besides the engine's own and `default`. */
  readonly knownQueues?: () => Promise<readonly string[]>;
}

/** RabbitMQ's reply to checkQueue / get on a queue that does not exist. */
const NOT_FOUND = 404;
const MANAGEMENT_TIMEOUT_MS = 5_000;

interface ManagementQueue {
  readonly name: string;
  readonly messages_ready?: number;
  readonly consumers?: number;
  readonly messages_unacknowledged?: number;
}

/**
 * Queue sizes and purges over RabbitMQ. With the management API: every queue of the vhost (its
 * statistics lag by up to RabbitMQ's collect_statistics_interval, 5 s by default). Without it, AMQP's
 * checkQueue tells size and consumers of a named queue only, so the listing covers the engine's own
 * queues, `default` and `knownQueues`, and `unacked` is null.
 */
export class RabbitMqQueues {
  constructor(private readonly host: QueueViewHost) {}

  async list(): Promise<QueueInfo[]> {
    if (this.host.managementUrl !== undefined) return this.listManaged(this.host.managementUrl);
    const names = new Set<string>([...Object.values(QUEUE), DEFAULT_QUEUE]);
    for (const name of (await this.host.knownQueues?.()) ?? []) names.add(name);
    const infos: QueueInfo[] = [];
    for (const name of [...names].sort()) {
      const info = await this.checked(name);
      if (info !== undefined) infos.push(info);
    }
    return infos;
  }

  /** Size and subscribers exactly (AMQP), unacked from the management API when there is one. */
  async get(name: string): Promise<QueueInfo | undefined> {
    const checked = await this.checked(name);
    if (checked === undefined || this.host.managementUrl === undefined) return checked;
    const managed = await this.managed(this.host.managementUrl, name);
    return { ...checked, unacked: managed?.unacked ?? null };
  }

  /**
   * Takes the messages waiting at the start, one by one, and drops them, collecting the task ids of
   * `task.run` messages: RabbitMQ's own purge would only count them. Messages published meanwhile stay.
   */
  async purge(name: string): Promise<PurgedQueue | undefined> {
    return this.onChannel(async (channel) => {
      const physical = this.physical(name);
      const { messageCount } = await channel.checkQueue(physical);
      const bodies: Buffer[] = [];
      let last: Parameters<Channel['ack']>[0] | undefined;
      while (bodies.length < messageCount) {
        const message = await channel.get(physical, { noAck: false });
        if (message === false) break;
        bodies.push(message.content);
        last = message;
      }
      // One ack for all: should this process die before it, RabbitMQ keeps every message.
      if (last !== undefined) channel.ack(last, true);
      return { count: bodies.length, taskIds: taskIdsOf(bodies) };
    });
  }

  private async checked(name: string): Promise<QueueInfo | undefined> {
    return this.onChannel(async (channel) => {
      const { messageCount, consumerCount } = await channel.checkQueue(this.physical(name));
      return { name, size: messageCount, subscribers: consumerCount, unacked: null };
    });
  }

  /** Runs `use` on a channel of its own (a missing queue closes the channel it is asked on): undefined for a missing queue. */
  private async onChannel<T>(use: (channel: Channel) => Promise<T>): Promise<T | undefined> {
    const connection = await this.host.connection();
    const channel = await connection.createChannel();
    const seen = { missing: false };
    channel.on('error', (error: unknown) => {
      if (hasCode(error, NOT_FOUND)) seen.missing = true;
    });
    try {
      return await use(channel);
    } catch (error) {
      if (seen.missing || hasCode(error, NOT_FOUND)) return undefined;
      throw error;
    } finally {
      // After a 404 the server has closed it already.
      if (!seen.missing)
        await Promise.resolve()
          .then(() => channel.close())
          .catch(() => undefined);
    }
  }

  private physical(name: string): string {
    return `${this.host.queuePrefix}${name}`;
  }

  private async listManaged(managementUrl: string): Promise<QueueInfo[]> {
    const columns = 'name,messages_ready,consumers,messages_unacknowledged';
    const body = await this.fetchManagement(managementUrl, `?columns=${columns}`);
    if (!Array.isArray(body)) throw unexpected('a list of queues');
    const prefix = this.host.queuePrefix;
    return (body as ManagementQueue[])
      .filter((queue) => queue.name.startsWith(prefix))
      .map((queue) => managedInfo(queue, prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private async managed(managementUrl: string, name: string): Promise<QueueInfo | undefined> {
    const body = await this.fetchManagement(managementUrl, `/${encodeURIComponent(this.physical(name))}`);
    if (body === undefined) return undefined;
    if (typeof body !== 'object' || body === null) throw unexpected('a queue');
    return managedInfo(body as ManagementQueue, this.host.queuePrefix);
  }

  /** GET /api/queues/<vhost><path>; undefined on 404. */
  private async fetchManagement(managementUrl: string, path: string): Promise<unknown> {
    const base = new URL(managementUrl);
    // fetch refuses URLs with credentials: they travel as basic auth instead.
    const user = decodeURIComponent(base.username);
    const password = decodeURIComponent(base.password);
    base.username = '';
    base.password = '';
    const vhost = encodeURIComponent(vhostOf(this.host.amqpUrl));
    const url = `${base.origin}${base.pathname.replace(/\/$/, '')}/api/queues/${vhost}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (user !== '')
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(MANAGEMENT_TIMEOUT_MS) });
    } catch (error) {
      throw new TorkError('UNAVAILABLE', `RabbitMQ's management API did not answer: ${errorMessage(error)}`, {
        cause: error,
        retryable: true,
      });
    }
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new TorkError('UNAVAILABLE', `RabbitMQ's management API answered ${response.status}`);
    return response.json();
  }
}

function managedInfo(queue: ManagementQueue, prefix: string): QueueInfo {
  return {
    name: queue.name.slice(prefix.length),
    size: queue.messages_ready ?? 0,
    subscribers: queue.consumers ?? 0,
    unacked: queue.messages_unacknowledged ?? 0,
  };
}

/** The vhost an AMQP URL names: its path without the slash, `/` when there is none. */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path === '' || path === '/' ? '/' : decodeURIComponent(path.slice(1));
}

function hasCode(error: unknown, code: number): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

function unexpected(what: string): TorkError {
  return new TorkError('UNAVAILABLE', `RabbitMQ's management API did not answer ${what}`);
}
