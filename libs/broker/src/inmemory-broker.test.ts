import { describe, expect, it } from 'vitest';
import type { Message } from '@tork/domain';
import { brokerContract, jobMessage, waitUntil } from '@tork/testing';
import { InMemoryBroker } from './inmemory-broker.js';

brokerContract('InMemoryBroker', () => Promise.resolve(new InMemoryBroker()));

describe('InMemoryBroker', () => {
  it('keeps a message that does not decode as a dead letter, shape only, and goes on', async () => {
    const told: string[] = [];
    const broker = new InMemoryBroker({ onDeadLetter: (letter) => told.push(letter.reason) });
    const received: Message[] = [];
    await broker.subscribe(
      'jobs',
      (message) => {
        received.push(message);
        return Promise.resolve();
      },
      { concurrency: 1 },
    );

    await broker.publishBytes(
      'jobs',
      Buffer.from('{"v":1,"type":"task.cancel","taskId":42,"secret":"hunter2"}'),
    );
    await broker.publish('jobs', jobMessage('after'));

    await waitUntil('the good message', () => received.length === 1);
    expect(received).toEqual([jobMessage('after')]);
    expect(broker.deadLetters).toHaveLength(1);
    expect(broker.deadLetters[0]?.reason).toMatch(/^task\.cancel: \/taskId/);
    expect(broker.deadLetters[0]?.payload).not.toContain('hunter2');
    expect(told).toHaveLength(1);
    await broker.close();
  });
});
