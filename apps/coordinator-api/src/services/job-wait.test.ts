import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import { DEFAULT_SECRET_POLICY, jobChange, newJob, silentLogger } from '@tork/domain';
import { describe, expect, it, vi } from 'vitest';
import { JobService } from './job.service.js';

/** A job service on in-memory adapters, and a PENDING job stored in it. */
async function serviceWithJob(waitPollMs: number, broker = new InMemoryBroker()) {
  const datastore = new InMemoryDatastore();
  const jobs = new JobService({
    datastore,
    broker,
    logger: silentLogger,
    secretPolicy: DEFAULT_SECRET_POLICY,
    waitPollMs,
  });
  const job = newJob({ tasks: [{ image: 'busybox' }] }, new Date().toISOString());
  await datastore.jobs.create(job);
  return { datastore, jobs, job };
}

describe('a submission waiting for its job', () => {
  it('stops waiting and stops listening once its caller has left; the job is untouched', async () => {
    const broker = new InMemoryBroker();
    const { datastore, jobs, job } = await serviceWithJob(60_000, broker);
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

  it('still answers once the job has ended when the broker cannot deliver notices', async () => {
    const broker = new InMemoryBroker();
    vi.spyOn(broker, 'subscribeEvents').mockRejectedValue(new Error('the broker is away'));
    const { datastore, jobs, job } = await serviceWithJob(20, broker);

    const waiting = jobs.waitForEnd(job.id, 60_000, new Promise(() => undefined));
    const now = new Date().toISOString();
    await datastore.jobs.update(job.id, jobChange('schedule', now));
    await datastore.jobs.update(job.id, jobChange('complete', now, { result: 'done' }));

    expect((await waiting)?.job).toMatchObject({ id: job.id, state: 'COMPLETED', result: 'done' });
  });
});
