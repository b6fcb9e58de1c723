import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import {
  newJob,
  parseJobSpec,
  QUEUE,
  silentLogger,
  type Job,
  type Message,
  type Task,
  type TaskRun,
} from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScheduler, type RunningScheduler } from './scheduler.js';

const NODE = 'node1';

/** How the stand-in worker answers a task: its result, or a failure, after an optional pause. */
type Answer = { result: string; delayMs?: number } | { error: string; delayMs?: number } | 'hang';

describe('scheduler: the job language', () => {
  let datastore: InMemoryDatastore;
  let broker: InMemoryBroker;
  let scheduler: RunningScheduler;
  let runs: TaskRun[];
  let running: number;
  let mostRunning: number;

  beforeEach(async () => {
    datastore = new InMemoryDatastore();
    broker = new InMemoryBroker();
    runs = [];
    running = 0;
    mostRunning = 0;
    scheduler = await startScheduler(
      { datastore, broker, logger: silentLogger },
      { sweep: { intervalMs: 100, lostAfterMs: 2000, batchSize: 100, deadAfterMs: 5000 } },
    );
  });

  afterEach(async () => {
    await scheduler.stop();
    await broker.close();
  });

  /** Stands in for a worker with many slots: records each task and answers as told. */
  async function worker(answer: (run: TaskRun) => Answer): Promise<void> {
    await broker.subscribe(
      'default',
      async (message) => {
        if (message.type !== 'task.run') return;
        const run = message.task;
        runs.push(run);
        const reply = answer(run);
        await broker.publish(QUEUE.started, {
          type: 'task.started',
          jobId: run.jobId,
          taskId: run.id,
          nodeId: NODE,
          at: now(),
        });
        if (reply === 'hang') return;
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        await new Promise((resolve) => setTimeout(resolve, reply.delayMs ?? 0));
        running -= 1;
        const ids = { jobId: run.jobId, taskId: run.id, nodeId: NODE, at: now() };
        const outcome: Message =
          'result' in reply
            ? { type: 'task.completed', ...ids, result: reply.result }
            : { type: 'task.failed', ...ids, error: reply.error };
        await broker.publish(outcome.type === 'task.completed' ? QUEUE.completed : QUEUE.error, outcome);
      },
      { concurrency: 50 },
    );
  }

  async function submit(body: unknown): Promise<Job> {
    const job = newJob(parseJobSpec(body), now());
    await datastore.jobs.create(job);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
    return job;
  }

  async function until(jobId: string, states: readonly string[], timeoutMs = 5000): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const job = await datastore.jobs.get(jobId);
      if (job !== undefined && states.includes(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(
      `job ${jobId} never reached ${states.join('/')}: ${(await datastore.jobs.get(jobId))?.state}`,
    );
  }

  const children = (job: Job, parent: Task | undefined): Promise<Task[]> =>
    datastore.tasks.list(job.id, { parentId: parent?.id ?? null });

  it('runs the children of a parallel task at once, then the next task', async () => {
    await worker((run) => ({ result: run.spec.name ?? '', delayMs: 50 }));
    const job = await submit({
      tasks: [
        { name: 'first', image: 'busybox' },
        { name: 'fan', parallel: { tasks: [1, 2, 3, 4].map((n) => ({ name: `p${n}`, image: 'busybox' })) } },
        { name: 'last', image: 'busybox' },
      ],
    });
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done).toMatchObject({ state: 'COMPLETED', result: 'last', position: 3 });
    expect(mostRunning).toBe(4);
    const top = await children(job, undefined);
    expect(top.map((task) => [task.kind, task.state])).toEqual([
      ['task', 'COMPLETED'],
      ['parallel', 'COMPLETED'],
      ['task', 'COMPLETED'],
    ]);
    const fan = await children(job, top[1]);
    expect(fan.map((task) => [task.index, task.state])).toEqual([
      [0, 'COMPLETED'],
      [1, 'COMPLETED'],
      [2, 'COMPLETED'],
      [3, 'COMPLETED'],
    ]);
    expect(runs.at(-1)?.spec.name).toBe('last');
  });

  it('fails a parallel task and its job when a child fails, naming the child, and cancels the others', async () => {
    await worker((run) => (run.spec.name === 'bad' ? { error: 'exit code 3', delayMs: 20 } : 'hang'));
    const job = await submit({
      tasks: [
        {
          parallel: {
            tasks: [
              { name: 'slow', image: 'busybox' },
              { name: 'bad', image: 'busybox' },
            ],
          },
        },
      ],
    });
    const done = await until(job.id, ['FAILED', 'COMPLETED']);
    expect(done.error).toBe('"bad" failed: exit code 3');
    const [parent] = await children(job, undefined);
    expect(parent).toMatchObject({ state: 'FAILED', error: '"bad" failed: exit code 3' });
    await expect
      .poll(async () => (await children(job, parent)).map((task) => task.state))
      .toEqual(['CANCELLED', 'FAILED']);
  });

  it("runs an each's items at most `concurrency` at a time, each with its item, and stores their vars", async () => {
    await worker((run) => ({ result: run.spec.env?.['ITEM'] ?? '', delayMs: 30 }));
    const job = await submit({
      output: '{{ tasks.eachTask0 }}-{{ tasks.eachTask5 }}',
      tasks: [
        {
          each: {
            list: '{{ sequence(1, 7) }}',
            concurrency: 2,
            task: { var: 'eachTask{{ item.index }}', image: 'busybox', env: { ITEM: '{{ item.value }}' } },
          },
        },
      ],
    });
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done).toMatchObject({ state: 'COMPLETED', result: '1-6' });
    expect(mostRunning).toBe(2);
    expect(await datastore.jobs.vars(job.id)).toEqual(
      Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`eachTask${n - 1}`, String(n)])),
    );
    const [parent] = await children(job, undefined);
    expect(parent).toMatchObject({ state: 'COMPLETED', childCount: 6, pendingChildren: 0 });
  });

  it('completes an each over an empty list at once, and fails one whose list is not a list, clearly', async () => {
    await worker(() => ({ result: 'ok' }));
    const empty = await submit({
      tasks: [{ each: { list: '{{ [] }}', task: { image: 'busybox' } } }, { image: 'busybox' }],
    });
    expect((await until(empty.id, ['COMPLETED', 'FAILED'])).state).toBe('COMPLETED');

    const wrong = await submit({ tasks: [{ each: { list: '{{ inputs }}', task: { image: 'busybox' } } }] });
    const failed = await until(wrong.id, ['COMPLETED', 'FAILED']);
    expect(failed.error).toContain('each.list must evaluate to a list');
  });

  it("runs a subjob, completes its parent task with the subjob's output, and stores it in the parent's var", async () => {
    await worker((run) => ({ result: run.spec.name === 'inner' ? 'data' : 'other' }));
    const job = await submit({
      output: '{{ tasks.subOut }}',
      tasks: [
        {
          var: 'subOut',
          subjob: {
            name: 'child job',
            output: '{{ tasks.inner }}',
            tasks: [{ name: 'inner', var: 'inner', image: 'busybox' }],
          },
        },
      ],
    });
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done).toMatchObject({ state: 'COMPLETED', result: 'data' });
    const [parent] = await children(job, undefined);
    expect(parent).toMatchObject({ kind: 'subjob', state: 'COMPLETED', result: 'data' });
    const sub = await datastore.jobs.get(parent?.subjobId ?? '');
    expect(sub).toMatchObject({
      name: 'child job',
      parentId: parent?.id,
      state: 'COMPLETED',
      result: 'data',
    });
  });

  it('fails the parent task when its subjob fails, and nests subjobs', async () => {
    await worker((run) => (run.spec.name === 'deep' ? { error: 'exit code 2' } : { result: 'ok' }));
    const job = await submit({
      tasks: [{ subjob: { tasks: [{ subjob: { tasks: [{ name: 'deep', image: 'busybox' }] } }] } }],
    });
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done.error).toBe('sub-job failed: sub-job failed: exit code 2');
  });

  it('completes a detached subjob task at once, without waiting for its job', async () => {
    await worker((run) => (run.spec.name === 'background' ? 'hang' : { result: 'ok' }));
    const job = await submit({
      tasks: [
        { subjob: { detached: true, tasks: [{ name: 'background', image: 'busybox' }] } },
        { image: 'busybox' },
      ],
    });
    expect((await until(job.id, ['COMPLETED', 'FAILED'])).state).toBe('COMPLETED');
  });

  it('skips a task whose `if` is false and goes on', async () => {
    await worker(() => ({ result: 'ran' }));
    const job = await submit({
      inputs: { mode: 'quick' },
      tasks: [
        { name: 'thorough', image: 'busybox', if: "{{ inputs.mode == 'thorough' }}" },
        { name: 'always', image: 'busybox' },
      ],
    });
    await until(job.id, ['COMPLETED']);
    const tasks = await children(job, undefined);
    expect(tasks.map((task) => [task.spec.name, task.state])).toEqual([
      ['thorough', 'SKIPPED'],
      ['always', 'COMPLETED'],
    ]);
    expect(runs.map((run) => run.spec.name)).toEqual(['always']);
  });

  it("fills regular tasks' empty fields from the job's defaults", async () => {
    await worker(() => ({ error: 'nope' }));
    const job = await submit({
      defaults: { retry: { limit: 1, initialDelay: '10ms' }, timeout: '5m', priority: 4 },
      tasks: [{ image: 'busybox', timeout: '1m' }],
    });
    await until(job.id, ['FAILED']);
    expect(runs).toHaveLength(2);
    expect(runs[0]?.spec).toMatchObject({ timeout: '1m', priority: 4, retry: { limit: 1 } });
  });

  it('cancels a job with everything it runs, attached subjobs included', async () => {
    await worker(() => 'hang');
    const job = await submit({
      tasks: [{ parallel: { tasks: [{ image: 'busybox' }, { subjob: { tasks: [{ image: 'busybox' }] } }] } }],
    });
    await expect.poll(() => runs.length).toBe(2);
    await broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: job.id });
    await until(job.id, ['CANCELLED']);
    const [parallel] = await children(job, undefined);
    const [, subTask] = await children(job, parallel);
    await until(subTask?.subjobId ?? '', ['CANCELLED']);
  });

  it('restarts a failed job where it stopped: completed tasks and children are kept, with their vars', async () => {
    let failing = true;
    await worker((run) =>
      run.spec.name === 'flaky' && failing ? { error: 'exit code 1' } : { result: run.spec.name ?? '' },
    );
    const job = await submit({
      output: '{{ tasks.a }}/{{ tasks.b }}',
      tasks: [
        { name: 'a', var: 'a', image: 'busybox' },
        {
          parallel: {
            tasks: [
              { name: 'b', var: 'b', image: 'busybox' },
              { name: 'flaky', image: 'busybox' },
            ],
          },
        },
        { name: 'after', image: 'busybox' },
      ],
    });
    await until(job.id, ['FAILED']);
    const before = runs.length;
    failing = false;
    await broker.publish(QUEUE.jobs, { type: 'job.restart', jobId: job.id });
    const done = await until(job.id, ['COMPLETED']);
    expect(done).toMatchObject({ result: 'a/b', position: 3 });
    expect(done.error).toBeUndefined();
    expect(runs.slice(before).map((run) => run.spec.name)).toEqual(['flaky', 'after']);
    const [, parallel] = await children(job, undefined);
    const flaky = (await children(job, parallel)).filter((task) => task.index === 1);
    expect(flaky.map((task) => [task.attempt, task.state])).toEqual([
      [1, 'FAILED'],
      [2, 'COMPLETED'],
    ]);
  });

  it('records every state change of the job and its tasks as an event', async () => {
    await worker(() => ({ result: 'ok' }));
    const job = await submit({ tasks: [{ image: 'busybox' }] });
    await until(job.id, ['COMPLETED']);
    const events = await datastore.events.list(job.id, { limit: 100 });
    expect(events.filter((event) => event.taskId === undefined).map((event) => event.state)).toEqual([
      'PENDING',
      'SCHEDULED',
      'RUNNING',
      'COMPLETED',
    ]);
    expect(events.filter((event) => event.taskId !== undefined).map((event) => event.state)).toEqual([
      'PENDING',
      'SCHEDULED',
      'RUNNING',
      'COMPLETED',
    ]);
  });
});

function now(): string {
  return new Date().toISOString();
}
