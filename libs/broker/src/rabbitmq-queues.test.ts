import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE, QUEUE } from '@tork/domain';
import {
  describeWithService,
  jobMessage,
  rabbitMqAvailable,
  rabbitMqManagementAvailable,
  rabbitMqManagementTestUrl,
  rabbitMqTestUrl,
} from '@tork/testing';
import { RabbitMqBroker, type RabbitMqBrokerOptions } from './rabbitmq-broker.js';
import { vhostOf } from './rabbitmq-queues.js';

const url = rabbitMqTestUrl();
const available = await rabbitMqAvailable(url);
const managementUrl = rabbitMqManagementTestUrl();
const managementAvailable = available && (await rabbitMqManagementAvailable(managementUrl));

describe('vhostOf', () => {
  it('reads the vhost from an AMQP URL, `/` when it names none', () => {
    expect(vhostOf('amqp://guest:guest@127.0.0.1:5672')).toBe('/');
    expect(vhostOf('amqp://guest:guest@127.0.0.1:5672/')).toBe('/');
    expect(vhostOf('amqp://u:p@mq/tork_prod?heartbeat=10')).toBe('tork_prod');
    expect(vhostOf('amqp://u:p@mq/%2F')).toBe('/');
  });
});

describeWithService(
  'RabbitMQ',
  available,
  'start it with: rabbitmq-server -detached',
)('RabbitMqBroker queue views', () => {
  let prefix: string;
  let brokers: RabbitMqBroker[];

  beforeEach(() => {
    prefix = `test-${randomUUID().slice(0, 8)}.`;
    brokers = [];
  });

  afterEach(async () => {
    await Promise.all(brokers.map((broker) => broker.close()));
    const admin = await connect(url);
    const channel = await admin.createChannel();
    for (const name of [...Object.values(QUEUE), DEFAULT_QUEUE, 'gpu', 'unlisted'])
      await channel.deleteQueue(`${prefix}${name}`);
    await admin.close();
  });

  async function open(options: Partial<RabbitMqBrokerOptions> = {}): Promise<RabbitMqBroker> {
    const broker = await RabbitMqBroker.connect({ url, queuePrefix: prefix, ...options });
    brokers.push(broker);
    return broker;
  }

  it('without the management API lists the queues that exist among its own, `default` and the known ones', async () => {
    const broker = await open({ knownQueues: () => Promise.resolve(['gpu', 'never-declared']) });
    await broker.publish(QUEUE.jobs, jobMessage(1));
    await broker.publish(DEFAULT_QUEUE, jobMessage(2));
    await broker.publish('gpu', jobMessage(3));
    await broker.publish('unlisted', jobMessage(4));

    const listed = await broker.queues();

    expect(listed).toEqual([
      { name: DEFAULT_QUEUE, size: 1, subscribers: 0, unacked: null },
      { name: 'gpu', size: 1, subscribers: 0, unacked: null },
      { name: QUEUE.jobs, size: 1, subscribers: 0, unacked: null },
    ]);
    // Named, a queue outside the listing is still found.
    expect(await broker.queue('unlisted')).toEqual({
      name: 'unlisted',
      size: 1,
      subscribers: 0,
      unacked: null,
    });
  });

  describeWithService(
    'the RabbitMQ management API',
    managementAvailable,
    'enable it with: rabbitmq-plugins enable rabbitmq_management',
  )('with the management API', () => {
    it('says so when the management API refuses the credentials, rather than listing nothing', async () => {
      const wrong = new URL(managementUrl);
      wrong.password = 'not-the-password';
      const broker = await open({ managementUrl: wrong.toString() });

      await expect(broker.queues()).rejects.toThrow("RabbitMQ's management API answered 401");
    });
  });
});
