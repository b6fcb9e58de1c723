import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobChange, newId, taskChange, type Datastore, type Job, type Task } from '@tork/domain';
import { helloSpec, jobFixture, richSpec, taskFixture, timestamp } from './fixtures.js';
import { must } from './wait.js';

/**
 * Registers the datastore contract for one adapter. `create` is called before each test and must
 * return an open, empty datastore (a real adapter: its own database or schema). The datastore is
 * closed after each test, then `cleanup` runs with it (e.g. to drop the schema).
 */
export function datastoreContract(
  name: string,
  create: () => Promise<Datastore>,
  cleanup?: (datastore: Datastore) => Promise<void>,
): void {
  describe(`${name} (datastore contract)`, () => {
    let store: Datastore;
    let closed: boolean;

    beforeEach(async () => {
      closed = false;
      store = await create();
    });

    afterEach(async () => {
      if (!closed) await store.close();
      await cleanup?.(store);
    });

    /** Stores a new job for `spec`, created `offsetMs` after the fixtures' base time. */
    const storedJob = async (spec = helloSpec(), offsetMs = 0): Promise<Job> => {
      const job = jobFixture(spec, timestamp(offsetMs));
      await store.createJob(job);
      return job;
    };

    describe('jobs', () => {
      it('returns a created job with every field, nested task specs included', async () => {
        const job: Job = {
          ...jobFixture(richSpec(), timestamp()),
          state: 'FAILED',
          position: 1,
          scheduledAt: timestamp(1_000),
          startedAt: timestamp(2_000),
          completedAt: timestamp(3_000),
          failedAt: timestamp(4_000),
          cancelledAt: timestamp(5_000),
          result: 'partial output ünïcødé ✓',
          error: 'exit code 1\nlast line of output',
        };
        await store.createJob(job);

        expect(await store.getJob(job.id)).toEqual(job);
      });

      it('returns a job created without a name without one', async () => {
        const job = jobFixture({ tasks: [{ image: 'busybox' }] });
        await store.createJob(job);

        const stored = await store.getJob(job.id);
        expect(stored).toEqual(job);
        expect(stored?.name).toBeUndefined();
      });

      it('answers undefined for an unknown job', async () => {
        await storedJob();
        expect(await store.getJob(newId())).toBeUndefined();
        expect(await store.updateJob(newId(), jobChange('schedule', timestamp()))).toBeUndefined();
      });

      it('lists jobs newest first, page by page, with totals', async () => {
        const jobs: Job[] = [];
        for (let n = 0; n < 5; n++) jobs.push(await storedJob(helloSpec(), n * 1_000));
        const [j0, j1, j2, j3, j4] = jobs;

        expect(await store.listJobs({ page: 1, size: 2 })).toEqual({
          items: [j4, j3],
          number: 1,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.listJobs({ page: 2, size: 2 })).toEqual({
          items: [j2, j1],
          number: 2,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.listJobs({ page: 3, size: 2 })).toEqual({
          items: [j0],
          number: 3,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.listJobs({ page: 1, size: 10 })).toEqual({
          items: [j4, j3, j2, j1, j0],
          number: 1,
          size: 10,
          totalPages: 1,
          totalItems: 5,
        });
      });

      it('lists no jobs on a page beyond the last', async () => {
        await storedJob(helloSpec(), 0);
        await storedJob(helloSpec(), 1_000);

        expect(await store.listJobs({ page: 3, size: 2 })).toEqual({
          items: [],
          number: 3,
          size: 2,
          totalPages: 1,
          totalItems: 2,
        });
      });

      it('lists nothing when there are no jobs', async () => {
        expect(await store.listJobs({ page: 1, size: 10 })).toEqual({
          items: [],
          number: 1,
          size: 10,
          totalPages: 0,
          totalItems: 0,
        });
      });

      it('applies a change to a job in one of its from-states and returns the updated job', async () => {
        const job = await storedJob();

        const scheduled = await store.updateJob(job.id, jobChange('schedule', timestamp(1_000)));
        expect(scheduled).toEqual({ ...job, state: 'SCHEDULED', scheduledAt: timestamp(1_000) });

        const running = await store.updateJob(job.id, jobChange('start', timestamp(2_000), { position: 1 }));
        expect(running).toEqual({
          ...job,
          state: 'RUNNING',
          position: 1,
          scheduledAt: timestamp(1_000),
          startedAt: timestamp(2_000),
        });

        const completed = await store.updateJob(
          job.id,
          jobChange('complete', timestamp(3_000), { result: 'hello world' }),
        );
        const expected: Job = {
          ...job,
          state: 'COMPLETED',
          position: 1,
          scheduledAt: timestamp(1_000),
          startedAt: timestamp(2_000),
          completedAt: timestamp(3_000),
          result: 'hello world',
        };
        expect(completed).toEqual(expected);
        expect(await store.getJob(job.id)).toEqual(expected);
      });

      it('refuses a change to a job in another state and leaves it untouched', async () => {
        const job = await storedJob();
        const completed = await store.updateJob(job.id, jobChange('complete', timestamp(1_000)));
        expect(completed).toBeUndefined();
        expect(await store.getJob(job.id)).toEqual(job);

        const scheduled = await store.updateJob(job.id, jobChange('schedule', timestamp(2_000)));
        expect(scheduled?.state).toBe('SCHEDULED');
        // A duplicate of the same event, and a late one, change nothing.
        expect(await store.updateJob(job.id, jobChange('schedule', timestamp(3_000)))).toBeUndefined();
        const cancelled = await store.updateJob(job.id, jobChange('cancel', timestamp(4_000)));
        expect(cancelled?.state).toBe('CANCELLED');
        expect(
          await store.updateJob(job.id, jobChange('start', timestamp(5_000), { position: 3 })),
        ).toBeUndefined();
        expect(
          await store.updateJob(job.id, jobChange('fail', timestamp(6_000), { error: 'too late' })),
        ).toBeUndefined();

        expect(await store.getJob(job.id)).toEqual({
          ...job,
          state: 'CANCELLED',
          scheduledAt: timestamp(2_000),
          cancelledAt: timestamp(4_000),
        });
      });

      it('lets exactly one of 20 racing changes to a job win', async () => {
        const job = await storedJob();
        await store.updateJob(job.id, jobChange('start', timestamp(1_000)));
        // Each of these ends the job, so none may follow another.
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            n % 2 === 0
              ? store.updateJob(
                  job.id,
                  jobChange('complete', timestamp(n + 2_000), { result: `result ${n}` }),
                )
              : store.updateJob(job.id, jobChange('cancel', timestamp(n + 2_000))),
          ),
        );

        const winners = outcomes.flatMap((outcome, n) => (outcome === undefined ? [] : [{ n, outcome }]));
        expect(winners).toHaveLength(1);
        const { n, outcome } = must(winners[0]);
        expect(await store.getJob(job.id)).toEqual(outcome);
        if (n % 2 === 0) {
          expect(outcome).toMatchObject({
            state: 'COMPLETED',
            result: `result ${n}`,
            completedAt: timestamp(n + 2_000),
          });
        } else {
          expect(outcome).toMatchObject({ state: 'CANCELLED', cancelledAt: timestamp(n + 2_000) });
          expect(outcome.result).toBeUndefined();
        }
      });

      it('hands out copies: changing a job passed in or returned changes nothing stored', async () => {
        const job = jobFixture(richSpec());
        const original = structuredClone(job);
        await store.createJob(job);
        const spec = must(job.tasks[0]);
        spec.image = 'changed after create';
        must(spec.env)['INTRO'] = 'changed after create';

        const got = must(await store.getJob(job.id));
        must(got.tasks[0]).image = 'changed after get';
        must(must(got.tasks[0]).pre?.[0]).image = 'changed after get';
        (got as { state: string }).state = 'FAILED';
        const listed = must((await store.listJobs({ page: 1, size: 10 })).items[0]);
        must(must(listed.tasks[0]).post?.[0]).run = 'changed after list';
        const updated = must(await store.updateJob(job.id, jobChange('schedule', timestamp(1_000))));
        must(must(updated.tasks[0]).volumes)[0] = '/changed-after-update';
        (updated as { state: string }).state = 'COMPLETED';

        expect(await store.getJob(job.id)).toEqual({
          ...original,
          state: 'SCHEDULED',
          scheduledAt: timestamp(1_000),
        });
      });
    });

    describe('tasks', () => {
      it('returns a created task with every field', async () => {
        const job = await storedJob(richSpec());
        const task: Task = {
          ...taskFixture(job, 0, 2, timestamp(1_000)),
          state: 'FAILED',
          nodeId: 'node-1',
          result: 'some output ünïcødé ✓',
          error: 'exit code 2\nno such file',
          scheduledAt: timestamp(2_000),
          startedAt: timestamp(3_000),
          completedAt: timestamp(4_000),
          failedAt: timestamp(5_000),
          cancelledAt: timestamp(6_000),
        };

        expect(await store.createTask(task)).toEqual(task);
        expect(await store.getTask(task.id)).toEqual(task);
        expect(task.queue).toBe('transcoding');
      });

      it('answers undefined for an unknown task, and no tasks for an unknown job', async () => {
        const job = await storedJob();
        await store.createTask(taskFixture(job));

        expect(await store.getTask(newId())).toBeUndefined();
        expect(await store.updateTask(newId(), taskChange('schedule', timestamp()))).toBeUndefined();
        expect(await store.listTasks(newId())).toEqual([]);
      });

      it('keeps one execution per (job, position, attempt): creating it again returns the stored one', async () => {
        const job = await storedJob();
        const first = taskFixture(job, 0, 1, timestamp(1_000));
        await store.createTask(first);
        const scheduled = await store.updateTask(first.id, taskChange('schedule', timestamp(2_000)));

        const again = taskFixture(job, 0, 1, timestamp(3_000));
        const stored = await store.createTask(again);

        expect(again.id).not.toBe(first.id);
        expect(stored).toEqual(scheduled);
        expect(await store.getTask(again.id)).toBeUndefined();
        expect(await store.listTasks(job.id)).toEqual([scheduled]);
      });

      it('keeps one execution when 20 creations of it race', async () => {
        const job = await storedJob();
        const candidates = Array.from({ length: 20 }, (_, n) => taskFixture(job, 0, 1, timestamp(n)));
        const results = await Promise.all(candidates.map((task) => store.createTask(task)));

        const ids = new Set(results.map((task) => task.id));
        expect(ids.size).toBe(1);
        const listed = await store.listTasks(job.id);
        expect(listed).toHaveLength(1);
        expect(listed[0]).toEqual(results[0]);
        expect(candidates.map((task) => task.id)).toContain(must(listed[0]).id);
      });

      it("lists a job's executions by position, then attempt", async () => {
        const job = await storedJob(richSpec());
        const other = await storedJob(helloSpec(), 1_000);
        // Created out of order (and with increasing createdAt) so insertion or creation order would show.
        const order: [number, number][] = [
          [1, 2],
          [2, 1],
          [0, 2],
          [1, 1],
          [0, 1],
          [0, 3],
        ];
        const created = new Map<string, Task>();
        for (const [i, [position, attempt]] of order.entries()) {
          const task = await store.createTask(taskFixture(job, position, attempt, timestamp(i * 1_000)));
          created.set(`${position}/${attempt}`, task);
        }
        await store.createTask(taskFixture(other, 0, 1));

        const listed = await store.listTasks(job.id);
        expect(listed.map((task) => [task.position, task.attempt])).toEqual([
          [0, 1],
          [0, 2],
          [0, 3],
          [1, 1],
          [1, 2],
          [2, 1],
        ]);
        expect(listed).toEqual(listed.map((task) => created.get(`${task.position}/${task.attempt}`)));
        expect((await store.listTasks(other.id)).map((task) => task.jobId)).toEqual([other.id]);
      });

      it('applies a change to a task in one of its from-states and refuses it otherwise', async () => {
        const job = await storedJob();
        const task = await store.createTask(taskFixture(job));

        const scheduled = await store.updateTask(task.id, taskChange('schedule', timestamp(1_000)));
        expect(scheduled).toEqual({ ...task, state: 'SCHEDULED', scheduledAt: timestamp(1_000) });
        const running = await store.updateTask(
          task.id,
          taskChange('start', timestamp(2_000), { nodeId: 'node-1' }),
        );
        expect(running).toEqual({
          ...task,
          state: 'RUNNING',
          nodeId: 'node-1',
          scheduledAt: timestamp(1_000),
          startedAt: timestamp(2_000),
        });
        const completed = await store.updateTask(
          task.id,
          taskChange('complete', timestamp(3_000), { result: 'hello world' }),
        );
        const expected: Task = {
          ...task,
          state: 'COMPLETED',
          nodeId: 'node-1',
          result: 'hello world',
          scheduledAt: timestamp(1_000),
          startedAt: timestamp(2_000),
          completedAt: timestamp(3_000),
        };
        expect(completed).toEqual(expected);

        // A duplicate `completed`, a late `started` and a late failure change nothing.
        expect(
          await store.updateTask(task.id, taskChange('complete', timestamp(4_000), { result: 'again' })),
        ).toBeUndefined();
        expect(
          await store.updateTask(task.id, taskChange('start', timestamp(5_000), { nodeId: 'node-2' })),
        ).toBeUndefined();
        expect(
          await store.updateTask(task.id, taskChange('fail', timestamp(6_000), { error: 'late' })),
        ).toBeUndefined();
        expect(await store.getTask(task.id)).toEqual(expected);
      });

      it('lets exactly one of 20 racing changes to a task win', async () => {
        const job = await storedJob();
        const task = await store.createTask(taskFixture(job));
        await store.updateTask(task.id, taskChange('start', timestamp(1_000), { nodeId: 'node-1' }));
        // Each of these ends the task, so none may follow another.
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            n % 2 === 0
              ? store.updateTask(
                  task.id,
                  taskChange('complete', timestamp(n + 2_000), { result: `result ${n}` }),
                )
              : store.updateTask(task.id, taskChange('fail', timestamp(n + 2_000), { error: `error ${n}` })),
          ),
        );

        const winners = outcomes.flatMap((outcome, n) => (outcome === undefined ? [] : [{ n, outcome }]));
        expect(winners).toHaveLength(1);
        const { n, outcome } = must(winners[0]);
        expect(await store.getTask(task.id)).toEqual(outcome);
        if (n % 2 === 0) {
          expect(outcome).toMatchObject({
            state: 'COMPLETED',
            result: `result ${n}`,
            completedAt: timestamp(n + 2_000),
          });
        } else {
          expect(outcome).toMatchObject({
            state: 'FAILED',
            error: `error ${n}`,
            failedAt: timestamp(n + 2_000),
          });
        }
      });

      it('hands out copies: changing a task passed in or returned changes nothing stored', async () => {
        const job = await storedJob(richSpec());
        const task = taskFixture(job);
        const original = structuredClone(task);
        await store.createTask(task);
        must(task.spec.env)['INTRO'] = 'changed after create';

        const got = must(await store.getTask(task.id));
        got.spec.image = 'changed after get';
        (got as { state: string }).state = 'FAILED';
        const listed = must((await store.listTasks(job.id))[0]);
        must(listed.spec.pre?.[0]).run = 'changed after list';
        const again = await store.createTask(taskFixture(job));
        again.spec.name = 'changed after create again';
        const updated = must(await store.updateTask(task.id, taskChange('schedule', timestamp(1_000))));
        must(updated.spec.volumes).push('/changed-after-update');

        expect(await store.getTask(task.id)).toEqual({
          ...original,
          state: 'SCHEDULED',
          scheduledAt: timestamp(1_000),
        });
      });
    });

    it('reports healthy while open, and rejects the health check once closed', async () => {
      await expect(store.healthCheck()).resolves.toBeUndefined();
      closed = true;
      await store.close();
      await expect(store.healthCheck()).rejects.toThrow();
    });
  });
}
