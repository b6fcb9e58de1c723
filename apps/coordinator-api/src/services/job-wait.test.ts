import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import { DEFAULT_SECRET_POLICY, newJob, silentLogger } from '@tork/domain';
import { describe, expect, it, vi } from 'vitest';
import { JobService } from './job.service.js';

describe('a submission waiting for its job', () => {
  it('stops waiting and stops listening once its caller has left; the job is untouched', async () => {
    const datastore = new InMemoryDatastore();
    const broker = new InMemoryBroker();
    const jobs = new JobService({
      datastore,
      broker,
      logger: silentLogger,
      secretPolicy: DEFAULT_SECRET_POLICY,
      waitPollMs: 60_000,
    });
    const job = newJob({ tasks: [{ image: 'busybox' }] }, new Date().toISOString());
    await datastore.jobs.create(job);
    const unsubscribed = vi.fn();
    const subscribe = broker.subscribeEvents.bind(broker);
    vi.spyOn(broker, 'subscribeEvents').mockImplementation(async (pattern, handler) => {
      const unsubscribe = await subscribe(pattern, handler);
      return async () => {
        unsubscribed(pattern);
        await unsubscribe();
      };
    });
    let leave: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (leave = resolve));

    const waiting = jobs.waitForEnd(job.id, 60_000, gone);
    leave();

    await expect(waiting).resolves.toBeUndefined();
    expect(unsubscribed).toHaveBeenCalledWith(`events.${job.id}`);
    expect((await datastore.jobs.get(job.id))?.state).toBe('PENDING');
  });
});
