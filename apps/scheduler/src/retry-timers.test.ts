import { InMemoryBroker } from '@tork/broker';
import { newJob, parseJobSpec, QUEUE, silentLogger, type Task } from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryTimers } from './retry-timers.js';

describe('RetryTimers', () => {
  const broker = new InMemoryBroker();
  const timers = new RetryTimers(broker, silentLogger);

  afterEach(() => {
    timers.stop();
  });

  function retryAt(runAt: Date): Task {
    const job = newJob(parseJobSpec({ tasks: [{ image: 'busybox' }] }), new Date().toISOString());
    return { ...taskFixture(job, 0, 2, new Date().toISOString()), runAt: runAt.toISOString() };
  }

  it('publishes nothing for a retry 35 days ahead (a plain timer would fire at once)', async () => {
    timers.schedule(retryAt(new Date(Date.now() + 35 * 24 * 3_600_000)));
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(broker.depth(QUEUE.pending)).toBe(0);
  });

  it('publishes a due retry to pending', async () => {
    timers.schedule(retryAt(new Date(Date.now() + 20)));

    await expect.poll(() => broker.depth(QUEUE.pending)).toBe(1);
  });
});
