import { describe, expect, it } from 'vitest';
import { jobChange } from '@tork/domain';
import {
  credentialStoreContract,
  datastoreContract,
  jobFixture,
  taskFixture,
  timestamp,
} from '@tork/testing';
import { InMemoryDatastore } from './inmemory-datastore.js';

datastoreContract('InMemoryDatastore', () => Promise.resolve(new InMemoryDatastore()));
credentialStoreContract('InMemoryDatastore', () => Promise.resolve(new InMemoryDatastore()));

describe('InMemoryDatastore with maxFinishedJobs', () => {
  it('keeps at most that many finished jobs, deleting the earliest finished with their tasks and logs', async () => {
    const store = new InMemoryDatastore({ maxFinishedJobs: 2 });
    const jobs = [jobFixture(), jobFixture(), jobFixture(), jobFixture()];
    for (const job of jobs) await store.jobs.create(job);
    const [first, second, third, active] = jobs.map((job) => job.id);
    const [task] = await store.tasks.create([taskFixture(jobs[1] ?? jobFixture(), 0, 1, timestamp(1))]);
    await store.logs.append(second ?? '', [
      { taskId: task?.id ?? '', number: 1, stream: 'stdout', text: 'hi', at: timestamp(2) },
    ]);

    // Finished in the order second, first, third: second is the earliest finished.
    for (const [n, id] of [second, first, third].entries()) {
      await store.jobs.update(id ?? '', jobChange('cancel', timestamp(10 + n)));
    }

    const listed = (await store.jobs.list({ page: 1, size: 10 })).items.map((job) => job.id);
    expect(listed.sort()).toEqual([first, third, active].sort());
    expect(await store.tasks.get(task?.id ?? '')).toBeUndefined();
    expect((await store.logs.byJob(second ?? '', { page: 1, size: 10 })).totalItems).toBe(0);
  });

  it('keeps a restarted job out of the count while it runs again', async () => {
    const store = new InMemoryDatastore({ maxFinishedJobs: 1 });
    const [a, b] = [jobFixture(), jobFixture()];
    await store.jobs.create({ ...a, state: 'FAILED', failedAt: timestamp(1) });
    await store.jobs.update(a.id, { from: ['FAILED'], patch: { state: 'RUNNING' }, at: timestamp(2) });
    await store.jobs.create({ ...b, state: 'COMPLETED', completedAt: timestamp(3) });

    expect(await store.jobs.get(a.id)).toMatchObject({ state: 'RUNNING' });
    expect(await store.jobs.get(b.id)).toMatchObject({ state: 'COMPLETED' });
  });
});
