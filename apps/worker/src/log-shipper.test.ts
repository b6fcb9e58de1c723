import { InMemoryBroker } from '@tork/broker';
import { newId, QUEUE, silentLogger, type Message, type TaskRun } from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogShipper } from './log-shipper.js';

const OPTIONS = { maxBytes: 1024, flushDelayMs: 50, flushBytes: 512 };
const TASK: TaskRun = {
  id: newId(),
  jobId: newId(),
  attempt: 1,
  queue: 'default',
  spec: { image: 'busybox' },
};

describe('LogShipper', () => {
  let broker: InMemoryBroker;
  let sent: { texts: string[] }[];

  beforeEach(async () => {
    broker = new InMemoryBroker();
    sent = [];
    await broker.subscribe(
      QUEUE.logs,
      (message: Message) => {
        if (message.type === 'task.log') sent.push({ texts: message.entries.map((e) => e.text) });
        return Promise.resolve();
      },
      { concurrency: 1 },
    );
  });
  afterEach(async () => {
    await broker.close();
  });

  const until = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it("sends a quiet task's line within the delay, without waiting for the task to end", async () => {
    const shipper = new LogShipper(broker, TASK, [], silentLogger, OPTIONS);
    shipper.write({ stream: 'stdout', text: 'first\n' });
    await until(() => sent.length > 0);
    expect(sent.map((message) => message.texts)).toEqual([['first\n']]);
    await shipper.close();
  });

  it('batches the lines written within one delay into one message, in order', async () => {
    const shipper = new LogShipper(broker, TASK, [], silentLogger, OPTIONS);
    for (const text of ['a\n', 'b\n', 'c\n']) shipper.write({ stream: 'stdout', text });
    await until(() => sent.length > 0);
    shipper.write({ stream: 'stderr', text: 'd\n' });
    await shipper.close();
    await until(() => sent.length > 1);
    expect(sent.map((message) => message.texts)).toEqual([['a\n', 'b\n', 'c\n'], ['d\n']]);
  });

  it('masks secrets and sends what is left when closed', async () => {
    const shipper = new LogShipper(broker, TASK, ['hunter2'], silentLogger, {
      ...OPTIONS,
      flushDelayMs: 60_000,
    });
    shipper.write({ stream: 'stdout', text: 'password is hunt' });
    shipper.write({ stream: 'stdout', text: 'er2\n' });
    await shipper.close();
    await until(() => sent.length > 0);
    expect(sent.flatMap((message) => message.texts).join('')).toBe('password is [REDACTED]\n');
  });
});
