import { describe, expect, it } from 'vitest';
import { toJobListItem, type Datastore, type Job, type JobListQuery, type NodeInfo } from '@tork/domain';
import { helloSpec, jobFixture, richSpec, taskFixture, timestamp } from './fixtures.js';

/**
 * The datastore contract for search (`GET /jobs?q=&state=`) and retention (old logs, finished jobs,
 * silent workers). Times are passed in, as the sweeper passes its clock. Registered by datastoreContract.
 */
export function searchRetentionContract(store: () => Datastore): void {
  const storedJob = async (fields: Partial<Job> = {}, offsetMs = 0, spec = helloSpec()): Promise<Job> => {
    const job: Job = { ...jobFixture(spec, timestamp(offsetMs)), ...fields };
    await store().jobs.create(job);
    return job;
  };

  /** The names of the jobs listed, newest first, and how many match in all. */
  const names = async (query: Partial<JobListQuery>) => {
    const page = await store().jobs.list({ page: 1, size: 10, ...query });
    return { names: page.items.map((job) => job.name), totalItems: page.totalItems };
  };

  describe('job search', () => {
    const catalogue = async (): Promise<void> => {
      await storedJob(
        { name: 'nightly backup', description: 'Copies the database to S3', tags: ['prod', 'eu'] },
        1,
      );
      await storedJob({ name: 'deploy-api', description: 'Rolls out the API', tags: ['staging'] }, 2);
      await storedJob(
        { name: 'backup logs', state: 'COMPLETED', completedAt: timestamp(9), tags: ['prod'] },
        3,
      );
      await storedJob({ name: 'resize images', state: 'FAILED', failedAt: timestamp(9), error: 'exit 1' }, 4);
    };

    it('finds jobs by every word of the text in name, description or state, whatever the case', async () => {
      await catalogue();

      expect(await names({ text: 'backup' })).toEqual({
        names: ['backup logs', 'nightly backup'],
        totalItems: 2,
      });
      expect(await names({ text: 'BACKUP Nightly' })).toEqual({ names: ['nightly backup'], totalItems: 1 });
      expect(await names({ text: 'database' })).toEqual({ names: ['nightly backup'], totalItems: 1 });
      expect(await names({ text: 'completed' })).toEqual({ names: ['backup logs'], totalItems: 1 });
      expect(await names({ text: 'api' })).toEqual({ names: ['deploy-api'], totalItems: 1 });
      expect(await names({ text: 'backup weekly' })).toEqual({ names: [], totalItems: 0 });
      expect(await names({ text: '  ' })).toMatchObject({ totalItems: 4 });
    });

    it('filters by tags (any of them) and by states', async () => {
      await catalogue();

      expect(await names({ tags: ['prod'] })).toEqual({
        names: ['backup logs', 'nightly backup'],
        totalItems: 2,
      });
      expect(await names({ tags: ['staging', 'eu'] })).toEqual({
        names: ['deploy-api', 'nightly backup'],
        totalItems: 2,
      });
      expect(await names({ tags: ['unknown'] })).toEqual({ names: [], totalItems: 0 });
      expect(await names({ states: ['FAILED'] })).toEqual({ names: ['resize images'], totalItems: 1 });
      expect(await names({ states: ['PENDING', 'COMPLETED'] })).toMatchObject({ totalItems: 3 });
    });

    it('combines text, tags, states, visibility and paging', async () => {
      await catalogue();
      await storedJob({ name: 'private backup', tags: ['prod'], permissions: [{ user: 'erin' }] }, 5);

      expect(await names({ text: 'backup', tags: ['prod'], states: ['PENDING'] })).toEqual({
        names: ['private backup', 'nightly backup'],
        totalItems: 2,
      });
      expect(
        await names({
          text: 'backup',
          tags: ['prod'],
          states: ['PENDING'],
          visibleTo: { name: 'dave', role: 'user' },
        }),
      ).toEqual({ names: ['nightly backup'], totalItems: 1 });
      const second = await store().jobs.list({ page: 2, size: 1, text: 'backup' });
      expect({ names: second.items.map((job) => job.name), totalItems: second.totalItems }).toEqual({
        names: ['backup logs'],
        totalItems: 3,
      });
    });

    it('lists summaries: the task count, no task definitions, inputs or result', async () => {
      const job = await storedJob(
        { state: 'COMPLETED', completedAt: timestamp(5), result: 'a long result', inputs: { a: 'b' } },
        0,
        richSpec(),
      );

      const [item] = (await store().jobs.list({ page: 1, size: 10 })).items;
      expect(item).toEqual(toJobListItem(job));
      expect(item).toMatchObject({ taskCount: 3, name: 'convert a video' });
      expect(item).not.toHaveProperty('tasks');
      expect(item).not.toHaveProperty('result');
      expect(item).not.toHaveProperty('inputs');
    });
  });

  describe('retention', () => {
    it('deletes finished jobs that ended before the cut-off, oldest first, in bounded batches, with their tasks and logs', async () => {
      const completed = await storedJob({ state: 'COMPLETED', completedAt: timestamp(3_000) }, 0);
      const failed = await storedJob({ state: 'FAILED', failedAt: timestamp(1_000) }, 0);
      const cancelled = await storedJob({ state: 'CANCELLED', cancelledAt: timestamp(4_000) }, 0);
      // Failed long ago, restarted, completed lately: it ended lately.
      const restarted = await storedJob({
        state: 'COMPLETED',
        failedAt: timestamp(1),
        completedAt: timestamp(9_000),
      });
      const running = await storedJob({ state: 'RUNNING', startedAt: timestamp(1) });
      const pending = await storedJob();
      const [task] = await store().tasks.create([taskFixture(failed, 0, 1, timestamp(10))]);
      await store().logs.append(failed.id, [
        { taskId: task?.id ?? '', number: 1, stream: 'stdout', text: 'hello', at: timestamp(20) },
      ]);

      expect(await store().jobs.deleteFinished(timestamp(5_000), 2)).toBe(2);
      expect(await store().jobs.get(failed.id)).toBeUndefined();
      expect(await store().jobs.get(completed.id)).toBeUndefined();
      expect(await store().jobs.get(cancelled.id)).toBeDefined();
      expect(await store().tasks.get(task?.id ?? '')).toBeUndefined();
      expect((await store().logs.byJob(failed.id, { page: 1, size: 10 })).totalItems).toBe(0);

      expect(await store().jobs.deleteFinished(timestamp(5_000), 2)).toBe(1);
      expect(await store().jobs.deleteFinished(timestamp(5_000), 2)).toBe(0);
      const left = (await store().jobs.list({ page: 1, size: 10 })).items.map((job) => job.id).sort();
      expect(left).toEqual([restarted.id, running.id, pending.id].sort());
    });

    it('deletes log entries written before the cut-off, oldest first, in bounded batches', async () => {
      const job = await storedJob();
      const [task] = await store().tasks.create([taskFixture(job, 0, 1, timestamp(1))]);
      const taskId = task?.id ?? '';
      await store().logs.append(
        job.id,
        [5_000, 1_000, 3_000, 2_000, 9_000].map((ms, index) => ({
          taskId,
          number: index + 1,
          stream: 'stdout' as const,
          text: `line ${String(index + 1)}`,
          at: timestamp(ms),
        })),
      );

      expect(await store().logs.deleteBefore(timestamp(4_000), 2)).toBe(2);
      expect(await store().logs.deleteBefore(timestamp(4_000), 2)).toBe(1);
      expect(await store().logs.deleteBefore(timestamp(4_000), 2)).toBe(0);
      const texts = async (page: Promise<{ items: { text: string }[] }>) =>
        (await page).items.map((e) => e.text);
      expect(await texts(store().logs.byTask(taskId, { page: 1, size: 10 }))).toEqual(['line 1', 'line 5']);
      expect(await texts(store().logs.byJob(job.id, { page: 1, size: 10 }))).toEqual(['line 1', 'line 5']);
    });

    const node = (id: string, heartbeatMs: number): NodeInfo => ({
      id,
      hostname: `host-${id}`,
      queues: { default: 1 },
      runningTasks: 0,
      startedAt: timestamp(0),
      lastHeartbeatAt: timestamp(heartbeatMs),
    });

    it('lists recent workers, and silent ones only while they hold a RUNNING task; prunes the other silent ones', async () => {
      for (const n of [
        node('recent', 10_000),
        node('silent', 1_000),
        node('holder', 2_000),
        node('done', 1_500),
      ])
        await store().nodes.upsert(n);
      const job = await storedJob({ state: 'RUNNING' }, 0, richSpec());
      await store().tasks.create([
        { ...taskFixture(job, 0, 1, timestamp(1)), state: 'RUNNING', nodeId: 'holder' },
        { ...taskFixture(job, 1, 1, timestamp(1)), state: 'COMPLETED', nodeId: 'done' },
      ]);

      const ids = async (since?: string) =>
        (await store().nodes.list(since === undefined ? {} : { heartbeatSince: since })).map((n) => n.id);
      expect(await ids(timestamp(5_000))).toEqual(['recent', 'holder']);
      expect(await ids()).toEqual(['recent', 'holder', 'done', 'silent']);

      expect(await store().nodes.prune(timestamp(5_000))).toBe(2);
      expect(await ids()).toEqual(['recent', 'holder']);
      expect(await store().nodes.prune(timestamp(5_000))).toBe(0);
    });
  });
}
