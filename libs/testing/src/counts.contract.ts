import { describe, expect, it } from 'vitest';
import { parseJobSpec, type Datastore, type Job, type Task } from '@tork/domain';
import { helloSpec, jobFixture, taskFixture, timestamp } from './fixtures.js';

/** The datastore contract for the counts metrics read (`jobs.count`, `tasks.countQueued`). Registered by datastoreContract. */
export function countsContract(store: () => Datastore): void {
  const storedJob = async (state: Job['state']): Promise<Job> => {
    const job = { ...jobFixture(helloSpec(), timestamp()), state };
    await store().jobs.create(job);
    return job;
  };

  const storedTask = async (job: Job, index: number, fields: Partial<Task>): Promise<void> => {
    await store().tasks.create([{ ...taskFixture(job, index, 1, timestamp(index)), ...fields }]);
  };

  describe('counts', () => {
    it('counts the jobs in the given states', async () => {
      await storedJob('RUNNING');
      await storedJob('RUNNING');
      await storedJob('COMPLETED');
      await storedJob('PENDING');

      expect(await store().jobs.count(['RUNNING'])).toBe(2);
      expect(await store().jobs.count(['RUNNING', 'PENDING'])).toBe(3);
      expect(await store().jobs.count(['FAILED'])).toBe(0);
    });

    it('counts waiting and running container tasks by queue and state, not composite or ended ones', async () => {
      const tasks = Array.from({ length: 6 }, (_, index) => ({
        name: `t${index}`,
        image: 'busybox',
        run: 'true',
      }));
      const job = jobFixture(parseJobSpec({ name: 'six tasks', tasks }), timestamp());
      await store().jobs.create(job);
      await storedTask(job, 0, { state: 'RUNNING', queue: 'default' });
      await storedTask(job, 1, { state: 'RUNNING', queue: 'default' });
      await storedTask(job, 2, { state: 'SCHEDULED', queue: 'gpu' });
      await storedTask(job, 3, { state: 'COMPLETED', queue: 'default' });
      await storedTask(job, 4, { state: 'RUNNING', queue: 'default', kind: 'parallel' });
      await storedTask(job, 5, { state: 'PENDING', queue: 'gpu' });

      const counts = await store().tasks.countQueued();
      const sorted = [...counts].sort((a, b) => `${a.queue}${a.state}`.localeCompare(`${b.queue}${b.state}`));
      expect(sorted).toEqual([
        { queue: 'default', state: 'RUNNING', count: 2 },
        { queue: 'gpu', state: 'PENDING', count: 1 },
        { queue: 'gpu', state: 'SCHEDULED', count: 1 },
      ]);
    });
  });
}
