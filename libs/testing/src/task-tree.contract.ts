import { describe, expect, it } from 'vitest';
import { jobChange, taskChange, type Datastore, type Job, type Task, type TaskLogEntry } from '@tork/domain';
import { childFixture, helloSpec, jobFixture, taskFixture, timestamp } from './fixtures.js';
import { must } from './wait.js';

/**
 * The datastore contract for the task tree: children of composite tasks, the atomic fan-in
 * (`settle`), the job context, events, bounded views and deletion. Registered by datastoreContract.
 */
export function taskTreeContract(store: () => Datastore): void {
  const storedJob = async (fields: Partial<Job> = {}, offsetMs = 0): Promise<Job> => {
    const job = { ...jobFixture(helloSpec(), timestamp(offsetMs)), ...fields };
    await store().jobs.create(job);
    return job;
  };

  /** A RUNNING composite task with `count` children: the first `running` PENDING, the rest CREATED. */
  const composite = async (
    job: Job,
    count: number,
    running = count,
  ): Promise<{ parent: Task; children: Task[] }> => {
    const [parent] = await store().tasks.create([
      {
        ...taskFixture(job, 0, 1, timestamp(1)),
        kind: 'each',
        spec: { name: 'each', each: { list: '{{ sequence(0, 3) }}', task: { image: 'busybox' } } },
        state: 'RUNNING',
        childCount: count,
        pendingChildren: count,
      },
    ]);
    const children = await store().tasks.create(
      Array.from({ length: count }, (_, index) =>
        childFixture(
          must(parent),
          index,
          { state: index < running ? 'PENDING' : 'CREATED' },
          timestamp(10 + index),
        ),
      ),
    );
    return { parent: must(parent), children };
  };

  const complete = (at = timestamp(100), fields: Partial<Task> = {}) => taskChange('complete', at, fields);

  describe('task tree', () => {
    it("lists a parent's children by index then attempt, apart from the top-level tasks", async () => {
      const job = await storedJob();
      const { parent, children } = await composite(job, 3);
      const retry = must((await store().tasks.create([childFixture(parent, 1, { attempt: 2 })]))[0]);

      const listed = await store().tasks.list(job.id, { parentId: parent.id });
      expect(listed.map((task) => [task.index, task.attempt])).toEqual([
        [0, 1],
        [1, 1],
        [1, 2],
        [2, 1],
      ]);
      expect(listed[2]).toEqual(retry);
      expect((await store().tasks.list(job.id, { parentId: null })).map((task) => task.id)).toEqual([
        parent.id,
      ]);
      expect(await store().tasks.list(job.id)).toHaveLength(children.length + 2);
    });

    it('keeps one execution per (parent, index, attempt): the same index under two parents is two executions', async () => {
      const job = await storedJob();
      const first = await composite(job, 1);
      const [other] = await store().tasks.create([
        { ...taskFixture(job, 0, 2), kind: 'parallel', state: 'RUNNING' },
      ]);
      const again = childFixture(first.parent, 0);
      const underOther = childFixture(must(other), 0);

      const stored = await store().tasks.create([again, underOther]);
      expect(stored[0]).toEqual(first.children[0]);
      expect(stored[1]).toEqual(underOther);
    });

    it('pages through the children of one parent, with totals', async () => {
      const job = await storedJob();
      const { parent, children } = await composite(job, 7);

      const page = await store().tasks.page(job.id, { parentId: parent.id, page: 2, size: 3 });
      expect(page).toMatchObject({ number: 2, size: 3, totalItems: 7, totalPages: 3 });
      expect(page.items.map((task) => task.id)).toEqual(children.slice(3, 6).map((task) => task.id));
    });

    it('shows every top-level task and at most the given number of children per composite task, with counts by state', async () => {
      const job = await storedJob();
      const { parent, children } = await composite(job, 5, 2);
      await store().tasks.update(must(children[0]).id, taskChange('cancel', timestamp(50)));

      const overview = await store().tasks.overview(job.id, 2);
      expect(overview.tasks.map((task) => task.id)).toEqual([
        parent.id,
        must(children[0]).id,
        must(children[1]).id,
      ]);
      expect(overview.childCounts).toEqual({ [parent.id]: { CANCELLED: 1, PENDING: 1, CREATED: 3 } });
    });
  });

  describe('settling a task (the fan-in)', () => {
    it('completes a child, counts it in its parent and gives its slot to the next CREATED sibling', async () => {
      const job = await storedJob();
      const { parent, children } = await composite(job, 3, 1);
      const child = must(children[0]);
      await store().tasks.update(child.id, taskChange('start', timestamp(20), { nodeId: 'node-1' }));

      const settled = await store().tasks.settle(child.id, complete(timestamp(30), { result: 'done' }));
      expect(settled.task).toMatchObject({ id: child.id, state: 'COMPLETED', result: 'done' });
      expect(settled.parent).toMatchObject({ id: parent.id, pendingChildren: 2 });
      expect(settled.promoted).toMatchObject({ id: must(children[1]).id, state: 'PENDING' });
      expect((await store().tasks.get(must(children[2]).id))?.state).toBe('CREATED');
    });

    it("stores a completed task's var in its job's context (the last value wins); a skipped task stores none", async () => {
      const job = await storedJob();
      const first = must(
        (
          await store().tasks.create([
            { ...taskFixture(job), state: 'RUNNING', spec: { image: 'busybox', var: 'answer' } },
          ])
        )[0],
      );
      await store().tasks.settle(first.id, complete(timestamp(1), { result: '41' }));
      const second = must(
        (
          await store().tasks.create([
            { ...taskFixture(job, 0, 2), state: 'RUNNING', spec: { image: 'busybox', var: 'answer' } },
          ])
        )[0],
      );
      await store().tasks.settle(second.id, complete(timestamp(2), { result: '42' }));
      const skipped = must(
        (
          await store().tasks.create([
            { ...taskFixture(job, 0, 3), spec: { image: 'busybox', var: 'other' } },
          ])
        )[0],
      );
      await store().tasks.settle(skipped.id, taskChange('skip', timestamp(3)));

      expect(await store().jobs.vars(job.id)).toEqual({ answer: '42' });
      expect(await store().jobs.vars('no-such-job')).toEqual({});
    });

    it('counts a skipped child like a completed one', async () => {
      const job = await storedJob();
      const { parent, children } = await composite(job, 2);

      const settled = await store().tasks.settle(must(children[1]).id, taskChange('skip', timestamp(5)));
      expect(settled.task?.state).toBe('SKIPPED');
      expect(settled.parent).toMatchObject({ id: parent.id, pendingChildren: 1 });
    });

    it('changes nothing for a settle that does not apply (a duplicate): no second count, no second slot', async () => {
      const job = await storedJob();
      const { parent, children } = await composite(job, 3, 1);
      const child = must(children[0]);
      await store().tasks.update(child.id, taskChange('start', timestamp(20)));
      await store().tasks.settle(child.id, complete());

      expect(await store().tasks.settle(child.id, complete(timestamp(200)))).toEqual({});
      expect((await store().tasks.get(parent.id))?.pendingChildren).toBe(2);
      const states = (await store().tasks.list(job.id, { parentId: parent.id })).map((task) => task.state);
      expect(states).toEqual(['COMPLETED', 'PENDING', 'CREATED']);
    });

    it('gives 20 children settled at once 20 distinct counts, exactly one of them zero, and never more slots than freed', async () => {
      const job = await storedJob();
      const { parent, children } = await composite(job, 30, 20);
      const running = children.slice(0, 20);
      for (const child of running) await store().tasks.update(child.id, taskChange('start', timestamp(20)));
      await store().tasks.update(parent.id, { from: ['RUNNING'], patch: { pendingChildren: 20 } });

      const settled = await Promise.all(running.map((child) => store().tasks.settle(child.id, complete())));
      const counts = settled.map((outcome) => must(outcome.parent).pendingChildren);
      expect(new Set(counts).size).toBe(20);
      expect(counts.filter((count) => count === 0)).toHaveLength(1);
      const promoted = settled.flatMap((outcome) =>
        outcome.promoted === undefined ? [] : [outcome.promoted.id],
      );
      expect(new Set(promoted).size).toBe(promoted.length);
      expect(promoted.sort()).toEqual(
        children
          .slice(20)
          .map((child) => child.id)
          .sort(),
      );
    });
  });

  describe('cancelling what is active', () => {
    it('cancels every CREATED, PENDING, SCHEDULED and RUNNING task of the job, and only those', async () => {
      const job = await storedJob();
      const other = await storedJob({}, 1);
      const { parent, children } = await composite(job, 4, 2);
      await store().tasks.update(must(children[1]).id, taskChange('schedule', timestamp(20)));
      await store().tasks.update(
        must(children[1]).id,
        taskChange('start', timestamp(21), { nodeId: 'node-1' }),
      );
      await store().tasks.settle(must(children[1]).id, complete());
      const elsewhere = must((await store().tasks.create([taskFixture(other)]))[0]);
      await store().jobs.update(other.id, jobChange('cancel', timestamp(299)));
      // Only once the job ended: a job restarted meanwhile keeps what its new run started.
      expect(await store().tasks.cancelActive(job.id, timestamp(300))).toEqual([]);
      await store().jobs.update(job.id, jobChange('cancel', timestamp(300)));

      const cancelled = await store().tasks.cancelActive(job.id, timestamp(300));
      expect(cancelled.map((task) => task.id).sort()).toEqual(
        [parent.id, must(children[0]).id, must(children[2]).id, must(children[3]).id].sort(),
      );
      expect(
        cancelled.every((task) => task.state === 'CANCELLED' && task.cancelledAt === timestamp(300)),
      ).toBe(true);
      expect((await store().tasks.get(must(children[1]).id))?.state).toBe('COMPLETED');
      expect((await store().tasks.get(elsewhere.id))?.state).toBe('PENDING');
      expect(await store().tasks.cancelActive(job.id, timestamp(400))).toEqual([]);
    });
  });

  describe('job events', () => {
    it('records every state a job and its tasks take, in order, and pages them by sequence number', async () => {
      const job = await storedJob();
      await store().jobs.update(job.id, jobChange('schedule', timestamp(1), { position: 1 }));
      const task = must((await store().tasks.create([taskFixture(job, 0, 1, timestamp(2))]))[0]);
      await store().tasks.update(task.id, taskChange('schedule', timestamp(3)));
      await store().tasks.update(task.id, { from: ['SCHEDULED'], patch: { nodeId: 'node-1' } });
      await store().tasks.update(task.id, taskChange('start', timestamp(4)));
      await store().tasks.settle(task.id, complete(timestamp(5), { result: 'hello world' }));
      await store().jobs.update(job.id, jobChange('complete', timestamp(6)));

      const events = await store().events.list(job.id, { limit: 100 });
      expect(events.map((event) => [event.taskId ?? 'job', event.state, event.at])).toEqual([
        ['job', 'PENDING', job.createdAt],
        ['job', 'SCHEDULED', timestamp(1)],
        [task.id, 'PENDING', timestamp(2)],
        [task.id, 'SCHEDULED', timestamp(3)],
        [task.id, 'RUNNING', timestamp(4)],
        [task.id, 'COMPLETED', timestamp(5)],
        ['job', 'COMPLETED', timestamp(6)],
      ]);
      const seqs = events.map((event) => event.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      const rest = await store().events.list(job.id, { after: must(events[3]).seq, limit: 2 });
      expect(rest.map((event) => event.state)).toEqual(['RUNNING', 'COMPLETED']);
    });

    it('records a task stored already SCHEDULED (sent at once) as PENDING at its creation, then SCHEDULED', async () => {
      const job = await storedJob();
      const [task] = await store().tasks.create([
        { ...taskFixture(job, 0, 1, timestamp(1)), state: 'SCHEDULED', scheduledAt: timestamp(2) },
      ]);
      const events = await store().events.list(job.id, { limit: 100 });
      expect(
        events.filter((event) => event.taskId === must(task).id).map((event) => [event.state, event.at]),
      ).toEqual([
        ['PENDING', timestamp(1)],
        ['SCHEDULED', timestamp(2)],
      ]);
      expect(await store().tasks.get(must(task).id)).toMatchObject({
        state: 'SCHEDULED',
        scheduledAt: timestamp(2),
      });
    });

    it('records RUNNING at its start time for a task that ends straight from SCHEDULED (start and end reported at once)', async () => {
      const say = helloSpec().tasks[0];
      const job = await storedJob({ tasks: [must(say), must(say), must(say)] });
      const [completed, failed, cancelled] = await store().tasks.create([
        taskFixture(job, 0, 1, timestamp(1)),
        taskFixture(job, 1, 1, timestamp(1)),
        taskFixture(job, 2, 1, timestamp(1)),
      ]);
      for (const task of [completed, failed, cancelled])
        await store().tasks.update(must(task).id, taskChange('schedule', timestamp(2)));
      await store().tasks.settle(must(completed).id, complete(timestamp(5), { startedAt: timestamp(4) }));
      await store().tasks.update(
        must(failed).id,
        taskChange('fail', timestamp(7), { startedAt: timestamp(6), error: 'exit 1' }),
      );
      // Never started: no RUNNING.
      await store().tasks.update(must(cancelled).id, taskChange('cancel', timestamp(8)));

      const events = await store().events.list(job.id, { limit: 100 });
      const after = (task: Task | undefined) =>
        events.filter((event) => event.taskId === must(task).id && event.at > timestamp(2));
      expect(after(completed).map((event) => [event.state, event.at])).toEqual([
        ['RUNNING', timestamp(4)],
        ['COMPLETED', timestamp(5)],
      ]);
      expect(after(failed).map((event) => [event.state, event.at])).toEqual([
        ['RUNNING', timestamp(6)],
        ['FAILED', timestamp(7)],
      ]);
      expect(after(cancelled).map((event) => event.state)).toEqual(['CANCELLED']);

      // Its job, still SCHEDULED, ends with its start time in the same change.
      await store().jobs.update(job.id, jobChange('schedule', timestamp(2)));
      await store().jobs.update(job.id, jobChange('complete', timestamp(9), { startedAt: timestamp(4) }));
      const jobEvents = (await store().events.list(job.id, { limit: 100 })).filter(
        (event) => event.taskId === undefined,
      );
      expect(jobEvents.map((event) => [event.state, event.at])).toEqual([
        ['PENDING', job.createdAt],
        ['SCHEDULED', timestamp(2)],
        ['RUNNING', timestamp(4)],
        ['COMPLETED', timestamp(9)],
      ]);
      expect(await store().jobs.get(job.id)).toMatchObject({ state: 'COMPLETED', startedAt: timestamp(4) });
      const seqs = events.map((event) => event.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    });
  });

  describe('deleting expired jobs', () => {
    it('deletes jobs whose deleteAt has passed, with their tasks, context, events and logs, and keeps the others', async () => {
      const expired = await storedJob();
      const kept = await storedJob({}, 1);
      const later = await storedJob({}, 2);
      const task = must(
        (
          await store().tasks.create([
            { ...taskFixture(expired), state: 'RUNNING', spec: { image: 'busybox', var: 'x' } },
          ])
        )[0],
      );
      await store().tasks.settle(task.id, complete(timestamp(1), { result: 'r' }));
      const entry: TaskLogEntry = {
        taskId: task.id,
        number: 1,
        stream: 'stdout',
        text: 'hi',
        at: timestamp(1),
      };
      await store().logs.append(expired.id, [entry]);
      await store().jobs.update(expired.id, jobChange('cancel', timestamp(2), { deleteAt: timestamp(10) }));
      await store().jobs.update(later.id, jobChange('cancel', timestamp(2), { deleteAt: timestamp(1_000) }));

      expect(await store().jobs.deleteExpired(timestamp(10), 100)).toBe(1);
      expect(await store().jobs.get(expired.id)).toBeUndefined();
      expect(await store().tasks.get(task.id)).toBeUndefined();
      expect(await store().jobs.vars(expired.id)).toEqual({});
      expect(await store().events.list(expired.id, { limit: 10 })).toEqual([]);
      expect((await store().logs.byTask(task.id, { page: 1, size: 10 })).items).toEqual([]);
      expect(await store().jobs.get(kept.id)).toBeDefined();
      expect(await store().jobs.get(later.id)).toBeDefined();
      expect(await store().jobs.deleteExpired(timestamp(10), 100)).toBe(0);
    });
  });

  describe("a job's log", () => {
    it('pages the entries of every task of a job in the order they were appended', async () => {
      const job = await storedJob();
      const other = await storedJob({}, 1);
      const [a, b] = await store().tasks.create([taskFixture(job, 0, 1), taskFixture(job, 0, 2)]);
      const entry = (task: Task | undefined, number: number): TaskLogEntry => ({
        taskId: must(task).id,
        number,
        stream: 'stdout',
        text: `${must(task).attempt}:${number}`,
        at: timestamp(number),
      });
      await store().logs.append(job.id, [entry(a, 1), entry(b, 1)]);
      await store().logs.append(job.id, [entry(a, 2)]);
      const [elsewhere] = await store().tasks.create([taskFixture(other)]);
      await store().logs.append(other.id, [entry(elsewhere, 1)]);

      const page = await store().logs.byJob(job.id, { page: 1, size: 2 });
      expect(page).toMatchObject({ totalItems: 3, totalPages: 2 });
      expect(page.items.map((item) => item.text)).toEqual(['1:1', '2:1']);
      const next = await store().logs.byJob(job.id, { page: 2, size: 2 });
      expect(next.items.map((item) => item.text)).toEqual(['1:2']);
    });
  });
}
