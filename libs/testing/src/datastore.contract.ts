import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  jobChange,
  newId,
  parseJobSpec,
  taskChange,
  toJobListItem,
  type Datastore,
  type Job,
  type JobListItem,
  type NodeInfo,
  type Task,
  type TaskLogEntry,
} from '@tork/domain';
import { helloSpec, jobFixture, richSpec, taskFixture, timestamp } from './fixtures.js';
import { searchRetentionContract } from './search-retention.contract.js';
import { webhookDeliveriesContract } from './webhook-deliveries.contract.js';
import { countsContract } from './counts.contract.js';
import { schedulesContract } from './schedules.contract.js';
import { taskTreeContract } from './task-tree.contract.js';
import { must, waitUntil } from './wait.js';

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

    /** Stores one execution; answers the stored one. */
    const createTask = async (task: Task): Promise<Task> => must((await store.tasks.create([task]))[0]);

    /** Appends log entries of the tasks of one job (the job their first entry's task belongs to). */
    const appendLogs = async (entries: readonly TaskLogEntry[]): Promise<void> => {
      const first = entries[0];
      const task = first === undefined ? undefined : await store.tasks.get(first.taskId);
      await store.logs.append(task?.jobId ?? 'no-job', entries);
    };

    /** Stores a new job for `spec`, created `offsetMs` after the fixtures' base time. */
    const storedJob = async (spec = helloSpec(), offsetMs = 0): Promise<Job> => {
      const job = jobFixture(spec, timestamp(offsetMs));
      await store.jobs.create(job);
      return job;
    };

    /** Stores an execution of `job`'s task, created `offsetMs` after the base time, with `fields` set. */
    const storedTask = async (
      job: Job,
      position: number,
      attempt: number,
      offsetMs: number,
      fields: Partial<Omit<Task, 'id' | 'jobId' | 'index' | 'attempt' | 'createdAt'>> = {},
    ): Promise<Task> => {
      const task: Task = { ...taskFixture(job, position, attempt, timestamp(offsetMs)), ...fields };
      expect(await createTask(task)).toEqual(task);
      return task;
    };

    taskTreeContract(() => store);
    searchRetentionContract(() => store);
    countsContract(() => store);
    webhookDeliveriesContract(() => store);
    schedulesContract(() => store);

    describe('jobs', () => {
      it('refuses a second job with an id already stored (CONFLICT), and stores the others created with it', async () => {
        const first = jobFixture(helloSpec(), timestamp(1));
        await store.jobs.create(first);
        const others = [jobFixture(helloSpec(), timestamp(2)), jobFixture(helloSpec(), timestamp(3))];

        const outcomes = await Promise.allSettled([
          store.jobs.create(others[0] as Job),
          store.jobs.create({ ...first, name: 'a duplicate' }),
          store.jobs.create(others[1] as Job),
        ]);
        expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
        expect(await store.jobs.get(first.id)).toEqual(first);
        for (const job of others) expect(await store.jobs.get(job.id)).toEqual(job);
      });

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
          createdBy: { kind: 'key', name: 'ci-bot' },
          permissions: [{ role: 'user' }, { user: 'erin' }],
        };
        await store.jobs.create(job);

        expect(await store.jobs.get(job.id)).toEqual(job);
      });

      it('returns a job created without a name without one', async () => {
        const job = jobFixture({ tasks: [{ image: 'busybox' }] });
        await store.jobs.create(job);

        const stored = await store.jobs.get(job.id);
        expect(stored).toEqual(job);
        expect(stored?.name).toBeUndefined();
      });

      it('answers undefined for an unknown job', async () => {
        await storedJob();
        expect(await store.jobs.get(newId())).toBeUndefined();
        expect(await store.jobs.update(newId(), jobChange('schedule', timestamp()))).toBe(false);
      });

      it('lists jobs newest first, page by page, with totals', async () => {
        const jobs: JobListItem[] = [];
        for (let n = 0; n < 5; n++) jobs.push(toJobListItem(await storedJob(helloSpec(), n * 1_000)));
        const [j0, j1, j2, j3, j4] = jobs;

        expect(await store.jobs.list({ page: 1, size: 2 })).toEqual({
          items: [j4, j3],
          number: 1,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.jobs.list({ page: 2, size: 2 })).toEqual({
          items: [j2, j1],
          number: 2,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.jobs.list({ page: 3, size: 2 })).toEqual({
          items: [j0],
          number: 3,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.jobs.list({ page: 1, size: 10 })).toEqual({
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

        expect(await store.jobs.list({ page: 3, size: 2 })).toEqual({
          items: [],
          number: 3,
          size: 2,
          totalPages: 1,
          totalItems: 2,
        });
      });

      it('lists nothing when there are no jobs', async () => {
        expect(await store.jobs.list({ page: 1, size: 10 })).toEqual({
          items: [],
          number: 1,
          size: 10,
          totalPages: 0,
          totalItems: 0,
        });
      });

      it('lists only the jobs a viewer may see: admins all, others theirs, those without permissions and those naming them', async () => {
        const stored = async (offsetMs: number, fields: Pick<Job, 'createdBy' | 'permissions'>) => {
          const job: Job = { ...jobFixture(helloSpec(), timestamp(offsetMs)), ...fields };
          await store.jobs.create(job);
          return job;
        };
        const open = await stored(0, { createdBy: { kind: 'user', name: 'carol' } });
        const carols = await stored(1_000, {
          createdBy: { kind: 'user', name: 'carol' },
          permissions: [{ role: 'admin' }],
        });
        const forErin = await stored(2_000, {
          createdBy: { kind: 'key', name: 'ci-bot' },
          permissions: [{ user: 'erin' }],
        });
        const forUsers = await stored(3_000, {
          createdBy: { kind: 'key', name: 'ci-bot' },
          permissions: [{ role: 'user' }],
        });
        const adminsOnly = await stored(4_000, {
          createdBy: { kind: 'key', name: 'ci-bot' },
          permissions: [{ role: 'admin' }],
        });
        const ids = async (name: string, role: 'admin' | 'user', size = 10) => {
          const page = await store.jobs.list({ page: 1, size, visibleTo: { name, role } });
          return { ids: page.items.map((job) => job.id), totalItems: page.totalItems };
        };

        expect(await ids('root', 'admin')).toEqual({
          ids: [adminsOnly.id, forUsers.id, forErin.id, carols.id, open.id],
          totalItems: 5,
        });
        expect(await ids('carol', 'user')).toEqual({ ids: [forUsers.id, carols.id, open.id], totalItems: 3 });
        expect(await ids('erin', 'user')).toEqual({ ids: [forUsers.id, forErin.id, open.id], totalItems: 3 });
        expect(await ids('erin', 'user', 2)).toEqual({ ids: [forUsers.id, forErin.id], totalItems: 3 });
        expect(await ids('dave', 'user')).toEqual({ ids: [forUsers.id, open.id], totalItems: 2 });
      });

      it('applies a change to a job in one of its from-states and says so', async () => {
        const job = await storedJob();

        expect(await store.jobs.update(job.id, jobChange('schedule', timestamp(1_000)))).toBe(true);
        expect(await store.jobs.get(job.id)).toEqual({
          ...job,
          state: 'SCHEDULED',
          scheduledAt: timestamp(1_000),
        });

        expect(await store.jobs.update(job.id, jobChange('start', timestamp(2_000), { position: 1 }))).toBe(
          true,
        );
        expect(await store.jobs.get(job.id)).toEqual({
          ...job,
          state: 'RUNNING',
          position: 1,
          scheduledAt: timestamp(1_000),
          startedAt: timestamp(2_000),
        });

        const completed = await store.jobs.update(
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
        expect(completed).toBe(true);
        expect(await store.jobs.get(job.id)).toEqual(expected);
      });

      it('refuses a change to a job in another state and leaves it untouched', async () => {
        const job = await storedJob();
        expect(await store.jobs.update(job.id, jobChange('complete', timestamp(1_000)))).toBe(false);
        expect(await store.jobs.get(job.id)).toEqual(job);

        expect(await store.jobs.update(job.id, jobChange('schedule', timestamp(2_000)))).toBe(true);
        // A duplicate of the same event, and a late one, change nothing.
        expect(await store.jobs.update(job.id, jobChange('schedule', timestamp(3_000)))).toBe(false);
        expect(await store.jobs.update(job.id, jobChange('cancel', timestamp(4_000)))).toBe(true);
        expect(await store.jobs.update(job.id, jobChange('start', timestamp(5_000), { position: 3 }))).toBe(
          false,
        );
        expect(
          await store.jobs.update(job.id, jobChange('fail', timestamp(6_000), { error: 'too late' })),
        ).toBe(false);

        expect(await store.jobs.get(job.id)).toEqual({
          ...job,
          state: 'CANCELLED',
          scheduledAt: timestamp(2_000),
          cancelledAt: timestamp(4_000),
        });
      });

      it('lets exactly one of 20 racing changes to a job win', async () => {
        const job = await storedJob();
        await store.jobs.update(job.id, jobChange('start', timestamp(1_000)));
        // Each of these ends the job, so none may follow another.
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            n % 2 === 0
              ? store.jobs.update(
                  job.id,
                  jobChange('complete', timestamp(n + 2_000), { result: `result ${n}` }),
                )
              : store.jobs.update(job.id, jobChange('cancel', timestamp(n + 2_000))),
          ),
        );

        const winners = outcomes.flatMap((applied, n) => (applied ? [n] : []));
        expect(winners).toHaveLength(1);
        const n = must(winners[0]);
        const outcome = must(await store.jobs.get(job.id));
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
        await store.jobs.create(job);
        const spec = must(job.tasks[0]);
        spec.image = 'changed after create';
        must(spec.env)['INTRO'] = 'changed after create';

        const got = must(await store.jobs.get(job.id));
        must(got.tasks[0]).image = 'changed after get';
        must(must(got.tasks[0]).pre?.[0]).image = 'changed after get';
        (got as { state: string }).state = 'FAILED';
        const listed = must((await store.jobs.list({ page: 1, size: 10 })).items[0]);
        (listed as { name: string }).name = 'changed after list';
        await store.jobs.update(job.id, jobChange('schedule', timestamp(1_000)));

        expect(await store.jobs.get(job.id)).toEqual({
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
          runAt: timestamp(7_000),
          deadlineAt: timestamp(8_000),
          failure: { kind: 'runtime' },
          handBacks: 2,
          progress: 42.5,
          steps: [
            {
              kind: 'pre',
              index: 0,
              name: 'download the remote file',
              image: 'alpine:3.18.3',
              state: 'COMPLETED',
              startedAt: timestamp(3_001),
              endedAt: timestamp(3_002),
            },
            {
              kind: 'main',
              index: 0,
              image: 'jrottenberg/ffmpeg:3.4-alpine',
              state: 'FAILED',
              error: 'exit code 2',
              startedAt: timestamp(3_003),
              endedAt: timestamp(4_999),
            },
          ],
        };

        expect(await createTask(task)).toEqual(task);
        expect(await store.tasks.get(task.id)).toEqual(task);
        expect(task.queue).toBe('transcoding');
      });

      it("records a RUNNING top-level task's progress and its job's: the tasks before it done, its own share", async () => {
        const job = await storedJob(parseJobSpec({ tasks: [{ image: 'a' }, { image: 'b' }] }));
        const second = await storedTask(job, 1, 1, 1, { state: 'RUNNING' });

        expect(await store.tasks.recordProgress(second.id, 50)).toBe(true);
        expect((await store.tasks.get(second.id))?.progress).toBe(50);
        expect((await store.jobs.get(job.id))?.progress).toBe(75);
      });

      it('leaves a task that is not RUNNING, and its job, as they are', async () => {
        const job = await storedJob();
        const done = await storedTask(job, 0, 1, 1, { state: 'COMPLETED', progress: 100 });

        expect(await store.tasks.recordProgress(done.id, 10)).toBe(false);
        expect(await store.tasks.recordProgress('no-such-task', 10)).toBe(false);
        expect((await store.tasks.get(done.id))?.progress).toBe(100);
        expect((await store.jobs.get(job.id))?.progress).toBeUndefined();
      });

      it("records a child's progress without touching its job's", async () => {
        const job = await storedJob();
        const child = await storedTask(job, 0, 1, 1, { state: 'RUNNING', parentId: newId() });

        expect(await store.tasks.recordProgress(child.id, 30)).toBe(true);
        expect((await store.tasks.get(child.id))?.progress).toBe(30);
        expect((await store.jobs.get(job.id))?.progress).toBeUndefined();
      });

      it("keeps a task's hand-backs through changes, and a new attempt starts with none unless given", async () => {
        const job = await storedJob();
        const first = await storedTask(job, 0, 1, 1, { state: 'RUNNING', handBacks: 4 });
        await store.tasks.update(
          first.id,
          taskChange('fail', timestamp(2), { error: 'engine down', failure: { kind: 'runtime' } }),
        );
        expect(await store.tasks.get(first.id)).toMatchObject({ handBacks: 4, failure: { kind: 'runtime' } });
        const second = await storedTask(job, 0, 2, 3);
        expect((await store.tasks.get(second.id))?.handBacks).toBeUndefined();
      });

      it('answers undefined for an unknown task, and no tasks for an unknown job', async () => {
        const job = await storedJob();
        await createTask(taskFixture(job));

        expect(await store.tasks.get(newId())).toBeUndefined();
        expect(await store.tasks.update(newId(), taskChange('schedule', timestamp()))).toBeUndefined();
        expect(await store.tasks.list(newId())).toEqual([]);
      });

      it('keeps one execution per (job, index, attempt): creating it again returns the stored one', async () => {
        const job = await storedJob();
        const first = taskFixture(job, 0, 1, timestamp(1_000));
        await createTask(first);
        const scheduled = await store.tasks.update(first.id, taskChange('schedule', timestamp(2_000)));

        const again = taskFixture(job, 0, 1, timestamp(3_000));
        const stored = await createTask(again);

        expect(again.id).not.toBe(first.id);
        expect(stored).toEqual(scheduled);
        expect(await store.tasks.get(again.id)).toBeUndefined();
        expect(await store.tasks.list(job.id)).toEqual([scheduled]);
      });

      it('keeps one execution when 20 creations of it race', async () => {
        const job = await storedJob();
        const candidates = Array.from({ length: 20 }, (_, n) => taskFixture(job, 0, 1, timestamp(n)));
        const results = await Promise.all(candidates.map((task) => createTask(task)));

        const ids = new Set(results.map((task) => task.id));
        expect(ids.size).toBe(1);
        const listed = await store.tasks.list(job.id);
        expect(listed).toHaveLength(1);
        expect(listed[0]).toEqual(results[0]);
        expect(candidates.map((task) => task.id)).toContain(must(listed[0]).id);
      });

      it("lists a job's top-level executions by index, then attempt", async () => {
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
          const task = await createTask(taskFixture(job, position, attempt, timestamp(i * 1_000)));
          created.set(`${position}/${attempt}`, task);
        }
        await createTask(taskFixture(other, 0, 1));

        const listed = await store.tasks.list(job.id, { parentId: null });
        expect(listed.map((task) => [task.index, task.attempt])).toEqual([
          [0, 1],
          [0, 2],
          [0, 3],
          [1, 1],
          [1, 2],
          [2, 1],
        ]);
        expect(listed).toEqual(listed.map((task) => created.get(`${task.index}/${task.attempt}`)));
        expect((await store.tasks.list(other.id)).map((task) => task.jobId)).toEqual([other.id]);
      });

      it('applies a change to a task in one of its from-states and refuses it otherwise', async () => {
        const job = await storedJob();
        const task = await createTask(taskFixture(job));

        const scheduled = await store.tasks.update(task.id, taskChange('schedule', timestamp(1_000)));
        expect(scheduled).toEqual({ ...task, state: 'SCHEDULED', scheduledAt: timestamp(1_000) });
        const running = await store.tasks.update(
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
        const completed = await store.tasks.update(
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
          await store.tasks.update(task.id, taskChange('complete', timestamp(4_000), { result: 'again' })),
        ).toBeUndefined();
        expect(
          await store.tasks.update(task.id, taskChange('start', timestamp(5_000), { nodeId: 'node-2' })),
        ).toBeUndefined();
        expect(
          await store.tasks.update(task.id, taskChange('fail', timestamp(6_000), { error: 'late' })),
        ).toBeUndefined();
        expect(await store.tasks.get(task.id)).toEqual(expected);
      });

      it('lets exactly one of 20 racing changes to a task win', async () => {
        const job = await storedJob();
        const task = await createTask(taskFixture(job));
        await store.tasks.update(task.id, taskChange('start', timestamp(1_000), { nodeId: 'node-1' }));
        // Each of these ends the task, so none may follow another.
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, n) =>
            n % 2 === 0
              ? store.tasks.update(
                  task.id,
                  taskChange('complete', timestamp(n + 2_000), { result: `result ${n}` }),
                )
              : store.tasks.update(
                  task.id,
                  taskChange('fail', timestamp(n + 2_000), { error: `error ${n}` }),
                ),
          ),
        );

        const winners = outcomes.flatMap((outcome, n) => (outcome === undefined ? [] : [{ n, outcome }]));
        expect(winners).toHaveLength(1);
        const { n, outcome } = must(winners[0]);
        expect(await store.tasks.get(task.id)).toEqual(outcome);
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
        await createTask(task);
        must(task.spec.env)['INTRO'] = 'changed after create';

        const got = must(await store.tasks.get(task.id));
        got.spec.image = 'changed after get';
        (got as { state: string }).state = 'FAILED';
        const listed = must((await store.tasks.list(job.id))[0]);
        must(listed.spec.pre?.[0]).run = 'changed after list';
        const again = await createTask(taskFixture(job));
        again.spec.name = 'changed after create again';
        const updated = must(await store.tasks.update(task.id, taskChange('schedule', timestamp(1_000))));
        must(updated.spec.volumes).push('/changed-after-update');

        expect(await store.tasks.get(task.id)).toEqual({
          ...original,
          state: 'SCHEDULED',
          scheduledAt: timestamp(1_000),
        });
      });
    });

    describe('creation and changes', () => {
      it('refuses a second job with the id of a stored one and keeps the first', async () => {
        const job = await storedJob();

        await expect(store.jobs.create({ ...job, name: 'another job' })).rejects.toThrow(job.id);
        expect(await store.jobs.get(job.id)).toEqual(job);
      });

      it('clears the optional fields a change sets to undefined and keeps the others', async () => {
        const job: Job = { ...jobFixture(), result: 'an earlier result', error: 'an earlier error' };
        await store.jobs.create(job);
        const task = await storedTask(job, 0, 2, 1_000, {
          nodeId: 'node-1',
          error: 'exit code 1',
          runAt: timestamp(5_000),
          deadlineAt: timestamp(9_000),
        });

        const scheduled = await store.tasks.update(
          task.id,
          taskChange('schedule', timestamp(6_000), { runAt: undefined, error: undefined }),
        );
        const expectedTask: Task = {
          ...without(task, 'runAt', 'error'),
          state: 'SCHEDULED',
          scheduledAt: timestamp(6_000),
        };
        expect(scheduled).toEqual(expectedTask);
        expect(scheduled).not.toHaveProperty('runAt');
        expect(scheduled).not.toHaveProperty('error');
        const storedTaskNow = await store.tasks.get(task.id);
        expect(storedTaskNow).toEqual(expectedTask);
        expect(storedTaskNow).not.toHaveProperty('runAt');
        expect(storedTaskNow).not.toHaveProperty('error');

        const started = await store.jobs.update(
          job.id,
          jobChange('start', timestamp(7_000), { result: undefined, error: undefined }),
        );
        const expectedJob: Job = {
          ...without(job, 'result', 'error'),
          state: 'RUNNING',
          startedAt: timestamp(7_000),
        };
        expect(started).toBe(true);
        const storedJobNow = await store.jobs.get(job.id);
        expect(storedJobNow).toEqual(expectedJob);
        expect(storedJobNow).not.toHaveProperty('result');
        expect(storedJobNow).not.toHaveProperty('error');
      });

      it('keeps timestamps to the millisecond', async () => {
        const now = new Date().toISOString();
        const job: Job = { ...jobFixture(helloSpec(), now), scheduledAt: timestamp(1) };
        await store.jobs.create(job);
        const task = await storedTask(job, 0, 1, 999, { runAt: timestamp(1_001), deadlineAt: now });

        expect(await store.jobs.get(job.id)).toEqual(job);
        expect(await store.tasks.get(task.id)).toEqual(task);
        const justBefore = new Date(Date.parse(now) - 1).toISOString();
        expect(await store.jobs.find({ states: ['PENDING'], createdBefore: justBefore, limit: 10 })).toEqual(
          [],
        );
        expect(await store.jobs.find({ states: ['PENDING'], createdBefore: now, limit: 10 })).toEqual([job]);
        expect(await store.tasks.find({ states: ['PENDING'], dueBy: timestamp(1_000), limit: 10 })).toEqual(
          [],
        );
        expect(await store.tasks.find({ states: ['PENDING'], dueBy: timestamp(1_001), limit: 10 })).toEqual([
          task,
        ]);
      });
    });

    describe('sweeps', () => {
      it('finds jobs in the given states created at or before a time, oldest first', async () => {
        // Stored out of creation order, so that insertion order would show.
        const j2 = await storedJob(helloSpec(), 2_000);
        const j0 = await storedJob(helloSpec(), 0);
        const j3 = await storedJob(helloSpec(), 3_000);
        const j1 = await storedJob(helloSpec(), 1_000);
        const j4 = await storedJob(helloSpec(), 4_000);
        await store.jobs.update(j1.id, jobChange('start', timestamp(10_000)));
        await store.jobs.update(j3.id, jobChange('cancel', timestamp(10_000)));
        const running = must(await store.jobs.get(j1.id));
        const cancelled = must(await store.jobs.get(j3.id));

        const find = (states: Job['state'][], createdBefore: string, limit = 10): Promise<Job[]> =>
          store.jobs.find({ states, createdBefore, limit });
        expect(await find(['PENDING', 'RUNNING'], timestamp(4_000))).toEqual([j0, running, j2, j4]);
        expect(await find(['PENDING'], timestamp(1_999))).toEqual([j0]);
        expect(await find(['PENDING'], timestamp(2_000))).toEqual([j0, j2]);
        expect(await find(['CANCELLED', 'COMPLETED'], timestamp(4_000))).toEqual([cancelled]);
        expect(await find(['COMPLETED'], timestamp(4_000))).toEqual([]);
        expect(await find([], timestamp(4_000))).toEqual([]);
        expect(await find(['PENDING', 'RUNNING'], timestamp(4_000), 2)).toEqual([j0, running]);
        expect(await find(['PENDING', 'RUNNING'], timestamp(-1))).toEqual([]);
      });

      it('finds tasks in the given states, oldest first by createdAt, up to a limit', async () => {
        const job = await storedJob(richSpec());
        const other = await storedJob(helloSpec(), 1_000);
        // Stored out of creation order, so that insertion order would show.
        const t3 = await storedTask(job, 2, 1, 3_000);
        const t1 = await storedTask(other, 0, 1, 1_000);
        const t0 = await storedTask(job, 0, 1, 0);
        const t2 = await storedTask(job, 1, 1, 2_000, { state: 'RUNNING', nodeId: 'node-1' });
        const t4 = await storedTask(job, 0, 2, 4_000, { state: 'COMPLETED', result: 'done' });

        const find = (states: Task['state'][], limit = 10): Promise<Task[]> =>
          store.tasks.find({ states, limit });
        expect(await find(['PENDING', 'RUNNING'])).toEqual([t0, t1, t2, t3]);
        expect(await find(['PENDING'])).toEqual([t0, t1, t3]);
        expect(await find(['PENDING', 'RUNNING'], 2)).toEqual([t0, t1]);
        expect(await find(['COMPLETED', 'FAILED'])).toEqual([t4]);
        expect(await find(['CANCELLED'])).toEqual([]);
        expect(await find([])).toEqual([]);
      });

      it('finds SCHEDULED tasks never confirmed sent, scheduled at or before a time', async () => {
        const job = await storedJob(richSpec());
        const unsent = await storedTask(job, 0, 1, 0, { state: 'SCHEDULED', scheduledAt: timestamp(1_000) });
        const later = await storedTask(job, 1, 1, 100, { state: 'SCHEDULED', scheduledAt: timestamp(3_000) });
        const sent = await storedTask(job, 2, 1, 0, { state: 'SCHEDULED', scheduledAt: timestamp(1_000) });
        await storedTask(job, 0, 2, 0, { state: 'PENDING' });

        await store.tasks.markPublished(sent.id, timestamp(1_001));
        expect((await store.tasks.get(sent.id))?.publishedAt).toBe(timestamp(1_001));
        const find = (by: string): Promise<Task[]> =>
          store.tasks.find({ states: ['SCHEDULED'], unpublishedBy: by, limit: 10 });
        expect(await find(timestamp(999))).toEqual([]);
        expect(await find(timestamp(1_000))).toEqual([unsent]);
        expect(await find(timestamp(5_000))).toEqual([unsent, later]);

        // Marking a task that has moved on changes nothing: it is not SCHEDULED any more.
        must(await store.tasks.update(later.id, taskChange('start', timestamp(4_000), { nodeId: 'node-1' })));
        await store.tasks.markPublished(later.id, timestamp(4_001));
        expect((await store.tasks.get(later.id))?.publishedAt).toBeUndefined();
        expect(await find(timestamp(5_000))).toEqual([unsent]);
      });

      it('finds SCHEDULED tasks confirmed sent at or before a time; sending again moves them past it', async () => {
        const job = await storedJob(richSpec());
        const early = await storedTask(job, 0, 1, 0, { state: 'SCHEDULED', scheduledAt: timestamp(1_000) });
        const late = await storedTask(job, 1, 1, 100, { state: 'SCHEDULED', scheduledAt: timestamp(1_000) });
        const unsent = await storedTask(job, 2, 1, 200, {
          state: 'SCHEDULED',
          scheduledAt: timestamp(1_000),
        });
        await store.tasks.markPublished(early.id, timestamp(2_000));
        await store.tasks.markPublished(late.id, timestamp(4_000));
        const find = (by: string): Promise<string[]> =>
          store.tasks
            .find({ states: ['SCHEDULED'], publishedBy: by, limit: 10 })
            .then((tasks) => tasks.map((task) => task.id));

        expect(await find(timestamp(1_999))).toEqual([]);
        expect(await find(timestamp(2_000))).toEqual([early.id]);
        expect(await find(timestamp(5_000))).toEqual([early.id, late.id]);
        expect(await find(timestamp(5_000))).not.toContain(unsent.id);

        // Sent again at 6 s: not found again before a whole bound has passed since.
        await store.tasks.markPublished(early.id, timestamp(6_000));
        expect(await find(timestamp(5_000))).toEqual([late.id]);
        // Started: no longer SCHEDULED.
        must(await store.tasks.update(late.id, taskChange('start', timestamp(5_500), { nodeId: 'node-1' })));
        expect(await find(timestamp(9_000))).toEqual([early.id]);
      });

      it('finds tasks due by a time: their runAt, or their createdAt when they have none', async () => {
        const job = await storedJob(richSpec());
        const now = await storedTask(job, 0, 1, 0);
        const retry = await storedTask(job, 0, 2, 1_000, { runAt: timestamp(5_000) });
        // Created after the retry, but due before it.
        const early = await storedTask(job, 1, 1, 6_000, { runAt: timestamp(2_000) });
        const later = await storedTask(job, 2, 1, 7_000);
        await storedTask(job, 1, 2, 0, { state: 'SCHEDULED' });

        const due = (dueBy: string): Promise<Task[]> =>
          store.tasks.find({ states: ['PENDING'], dueBy, limit: 10 });
        expect(await due(timestamp(-1))).toEqual([]);
        expect(await due(timestamp(1_999))).toEqual([now]);
        expect(await due(timestamp(2_000))).toEqual([now, early]);
        expect(await due(timestamp(5_000))).toEqual([now, retry, early]);
        expect(await due(timestamp(7_000))).toEqual([now, retry, early, later]);
        const delayed = await store.tasks.find({
          states: ['PENDING'],
          dueBy: timestamp(7_000),
          delayedOnly: true,
          limit: 10,
        });
        expect(delayed).toEqual([retry, early]);
      });

      it('finds tasks whose deadline has passed by a time, never those without one', async () => {
        const job = await storedJob(richSpec());
        const running = { state: 'RUNNING', nodeId: 'node-1', startedAt: timestamp(100) } as const;
        const soon = await storedTask(job, 0, 1, 0, { ...running, deadlineAt: timestamp(10_000) });
        const late = await storedTask(job, 1, 1, 1_000, { ...running, deadlineAt: timestamp(20_000) });
        await storedTask(job, 2, 1, 2_000, running);

        const overdue = (deadlineBy: string): Promise<Task[]> =>
          store.tasks.find({ states: ['RUNNING'], deadlineBy, limit: 10 });
        expect(await overdue(timestamp(9_999))).toEqual([]);
        expect(await overdue(timestamp(10_000))).toEqual([soon]);
        expect(await overdue(timestamp(60_000))).toEqual([soon, late]);
      });

      it('finds tasks last reported by one of the given workers', async () => {
        const job = await storedJob(richSpec());
        const a = await storedTask(job, 0, 1, 0, { state: 'RUNNING', nodeId: 'node-1' });
        const b = await storedTask(job, 1, 1, 1_000, { state: 'SCHEDULED', nodeId: 'node-2' });
        const c = await storedTask(job, 2, 1, 2_000, { state: 'RUNNING', nodeId: 'node-3' });
        const d = await storedTask(job, 0, 2, 3_000);

        const on = (nodeIds: string[] | undefined): Promise<Task[]> =>
          store.tasks.find({ states: ['PENDING', 'SCHEDULED', 'RUNNING'], nodeIds, limit: 10 });
        expect(await on(['node-1', 'node-2'])).toEqual([a, b]);
        expect(await on(['node-3', 'node-4'])).toEqual([c]);
        expect(await on(['node-4'])).toEqual([]);
        expect(await on([])).toEqual([]);
        expect(await on(undefined)).toEqual([a, b, c, d]);
      });

      it('applies every given criterion together', async () => {
        const job = await storedJob(richSpec());
        const match = await storedTask(job, 0, 1, 0, {
          state: 'RUNNING',
          nodeId: 'node-1',
          runAt: timestamp(500),
          deadlineAt: timestamp(1_000),
        });
        await storedTask(job, 1, 1, 0, { state: 'RUNNING', nodeId: 'node-2', deadlineAt: timestamp(1_000) });
        await storedTask(job, 2, 1, 0, { state: 'RUNNING', nodeId: 'node-1', deadlineAt: timestamp(9_000) });
        await storedTask(job, 0, 2, 0, {
          state: 'SCHEDULED',
          nodeId: 'node-1',
          deadlineAt: timestamp(1_000),
        });
        await storedTask(job, 1, 2, 0, {
          state: 'RUNNING',
          nodeId: 'node-1',
          runAt: timestamp(3_000),
          deadlineAt: timestamp(1_000),
        });

        expect(
          await store.tasks.find({
            states: ['RUNNING'],
            nodeIds: ['node-1'],
            dueBy: timestamp(2_000),
            deadlineBy: timestamp(2_000),
            limit: 10,
          }),
        ).toEqual([match]);
      });

      it('hands out copies of the tasks and jobs it finds', async () => {
        const job = await storedJob(richSpec());
        const task = await storedTask(job, 0, 1, 0);

        const [foundJob] = await store.jobs.find({
          states: ['PENDING'],
          createdBefore: timestamp(),
          limit: 1,
        });
        must(must(foundJob).tasks[0]).image = 'changed after find';
        const [foundTask] = await store.tasks.find({ states: ['PENDING'], limit: 1 });
        must(foundTask).spec.image = 'changed after find';

        expect(await store.jobs.get(job.id)).toEqual(job);
        expect(await store.tasks.get(task.id)).toEqual(task);
      });
    });

    describe('task logs', () => {
      const entry = (
        taskId: string,
        number: number,
        text = `line ${number}\n`,
        stream: TaskLogEntry['stream'] = 'stdout',
      ): TaskLogEntry => ({ taskId, number, stream, text, at: timestamp(number) });

      it("pages a task's log entries oldest first by number, with totals", async () => {
        const job = await storedJob();
        const a = await storedTask(job, 0, 1, 0);
        const b = await storedTask(job, 0, 2, 1_000);
        const [a1, a2, a3, a4, a5] = [1, 2, 3, 4, 5].map((n) => entry(a.id, n));
        const a3err = { ...must(a3), stream: 'stderr', text: 'ünïcødé ✓\r\n\ttabbed' } as const;
        const b1 = entry(b.id, 1, 'other task');
        // Appended out of order, in two batches.
        await appendLogs([a3err, must(a1), b1]);
        await appendLogs([must(a5), must(a2), must(a4)]);

        expect(await store.logs.byTask(a.id, { page: 1, size: 2 })).toEqual({
          items: [a1, a2],
          number: 1,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.logs.byTask(a.id, { page: 2, size: 2 })).toEqual({
          items: [a3err, a4],
          number: 2,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.logs.byTask(a.id, { page: 3, size: 2 })).toEqual({
          items: [a5],
          number: 3,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.logs.byTask(a.id, { page: 4, size: 2 })).toEqual({
          items: [],
          number: 4,
          size: 2,
          totalPages: 3,
          totalItems: 5,
        });
        expect(await store.logs.byTask(b.id, { page: 1, size: 10 })).toEqual({
          items: [b1],
          number: 1,
          size: 10,
          totalPages: 1,
          totalItems: 1,
        });
        expect(await store.logs.byTask(newId(), { page: 1, size: 10 })).toEqual({
          items: [],
          number: 1,
          size: 10,
          totalPages: 0,
          totalItems: 0,
        });
      });

      it('ignores an entry whose number is already stored, from a later batch or the same one', async () => {
        const job = await storedJob();
        const task = await storedTask(job, 0, 1, 0);
        const first = entry(task.id, 1, 'first');
        const second = entry(task.id, 2, 'second');
        const third = entry(task.id, 3, 'third');
        await appendLogs([first, second, { ...second, text: 'a duplicate in the same batch' }]);
        await appendLogs([{ ...first, text: 'a duplicate', stream: 'stderr' }, third]);
        await appendLogs([]);

        expect((await store.logs.byTask(task.id, { page: 1, size: 10 })).items).toEqual([
          first,
          second,
          third,
        ]);
      });

      it('appends thousands of entries in one call', async () => {
        const job = await storedJob();
        const task = await storedTask(job, 0, 1, 0);
        const entries = Array.from({ length: 2_500 }, (_, n) => entry(task.id, n + 1));
        await appendLogs(entries);

        const last = await store.logs.byTask(task.id, { page: 3, size: 1_000 });
        expect(last.totalItems).toBe(2_500);
        expect(last.totalPages).toBe(3);
        expect(last.items).toEqual(entries.slice(2_000));
      });

      it('hands out copies of log entries', async () => {
        const job = await storedJob();
        const task = await storedTask(job, 0, 1, 0);
        const original = entry(task.id, 1);
        const appended = { ...original };
        await appendLogs([appended]);
        (appended as { text: string }).text = 'changed after append';
        const got = must((await store.logs.byTask(task.id, { page: 1, size: 1 })).items[0]);
        (got as { text: string }).text = 'changed after get';

        expect((await store.logs.byTask(task.id, { page: 1, size: 1 })).items).toEqual([original]);
      });
    });

    describe('exclusive work', () => {
      it('runs work under one name once at a time, and again after it ended', async () => {
        let release = (): void => undefined;
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let ran = 0;
        const count = (): Promise<void> => {
          ran++;
          return Promise.resolve();
        };
        const first = store.runExclusive('sweep', async () => {
          ran++;
          await held;
        });
        await waitUntil('the first work to start', () => ran === 1);
        expect(await store.runExclusive('sweep', count)).toBe(false);
        expect(await store.runExclusive('another', count)).toBe(true);
        release();
        expect(await first).toBe(true);
        expect(await store.runExclusive('sweep', count)).toBe(true);
        expect(ran).toBe(3);
      });

      it('releases the name when the work fails', async () => {
        await expect(store.runExclusive('failing', () => Promise.reject(new Error('boom')))).rejects.toThrow(
          'boom',
        );
        expect(await store.runExclusive('failing', () => Promise.resolve())).toBe(true);
      });
    });

    describe('nodes', () => {
      const node = (id: string, heartbeatMs: number, fields: Partial<NodeInfo> = {}): NodeInfo => ({
        id,
        hostname: `host-${id}`,
        queues: { default: 10, transcoding: 3 },
        runningTasks: 0,
        startedAt: timestamp(0),
        lastHeartbeatAt: timestamp(heartbeatMs),
        ...fields,
      });

      it('lists workers by last heartbeat, newest first, with their queues', async () => {
        expect(await store.nodes.list()).toEqual([]);
        const n1 = node('node-1', 1_000, { runningTasks: 2 });
        const n2 = node('node-2', 3_000, { queues: {} });
        const n3 = node('node-3', 2_000, { queues: { 'video.transcoding': 1 } });
        for (const n of [n1, n2, n3]) await store.nodes.upsert(n);

        expect(await store.nodes.list()).toEqual([n2, n3, n1]);
      });

      it('keeps the newest heartbeat: an older one changes nothing, a newer one replaces it', async () => {
        const current = node('node-1', 2_000, { runningTasks: 1 });
        await store.nodes.upsert(current);

        await store.nodes.upsert(node('node-1', 1_000, { runningTasks: 5, queues: { default: 1 } }));
        expect(await store.nodes.list()).toEqual([current]);

        const newer = node('node-1', 3_000, { hostname: 'moved', runningTasks: 2, queues: { other: 4 } });
        await store.nodes.upsert(newer);
        expect(await store.nodes.list()).toEqual([newer]);
      });

      it("keeps a worker's CPU use and version, as its newest heartbeat tells them", async () => {
        const reported = node('node-1', 1_000, { cpuPercent: 37.3, version: '0.1.0' });
        await store.nodes.upsert(reported);
        expect(await store.nodes.list()).toEqual([reported]);

        const silent = node('node-1', 2_000);
        await store.nodes.upsert(silent);
        expect(await store.nodes.list()).toEqual([silent]);
      });

      it('keeps the newest of 20 racing heartbeats', async () => {
        const offsets = Array.from({ length: 20 }, (_, n) => ((n * 7) % 20) * 1_000);
        await Promise.all(
          offsets.map((ms) => store.nodes.upsert(node('node-1', ms, { runningTasks: ms / 1_000 }))),
        );

        expect(await store.nodes.list()).toEqual([node('node-1', 19_000, { runningTasks: 19 })]);
      });

      it('hands out copies of workers', async () => {
        const original = node('node-1', 1_000);
        const upserted = structuredClone(original);
        await store.nodes.upsert(upserted);
        (upserted.queues as Record<string, number>)['default'] = 99;
        const listed = must((await store.nodes.list())[0]);
        (listed.queues as Record<string, number>)['transcoding'] = 99;

        expect(await store.nodes.list()).toEqual([original]);
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

/** A copy of `record` without `keys`: how it reads once those optional fields are cleared. */
function without<T extends object, K extends keyof T>(record: T, ...keys: K[]): Omit<T, K> {
  return Object.fromEntries(
    Object.entries(record).filter(([key]) => !(keys as PropertyKey[]).includes(key)),
  ) as Omit<T, K>;
}
