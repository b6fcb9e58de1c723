import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import {
  DEADLINE_GRACE_MS,
  newJob,
  parseJobSpec,
  QUEUE,
  silentLogger,
  workerQueue,
  type Datastore,
  type Job,
  type Message,
  type Task,
  type TaskRun,
} from '@tork/domain';
import { taskFixture } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScheduler, type RunningScheduler } from './scheduler.js';
import type { SweepOptions } from './sweeper.js';

const NODE = 'node1';

describe('scheduler', () => {
  let datastore: InMemoryDatastore;
  let broker: InMemoryBroker;
  let scheduler: RunningScheduler;
  let runs: TaskRun[];

  beforeEach(async () => {
    datastore = new InMemoryDatastore();
    broker = new InMemoryBroker();
    runs = [];
    scheduler = await startScheduler(
      { datastore, broker, logger: silentLogger },
      { sweep: { intervalMs: 100, lostAfterMs: 500, batchSize: 100, deadAfterMs: 400 } },
    );
  });

  afterEach(async () => {
    await scheduler.stop();
    await broker.close();
  });

  /** Stands in for a worker: records each task routed to `default` and answers as told. */
  async function workerAnswering(answer: (run: TaskRun) => Message[]): Promise<void> {
    await broker.subscribe(
      'default',
      async (message) => {
        if (message.type !== 'task.run') return;
        runs.push(message.task);
        for (const reply of answer(message.task)) await broker.publish(queueOf(reply), reply);
      },
      { concurrency: 1 },
    );
  }

  async function submit(tasks: object[]): Promise<Job> {
    const job = newJob(parseJobSpec({ name: 'test job', tasks }), new Date().toISOString());
    await datastore.jobs.create(job);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
    return job;
  }

  async function createTask(task: Task): Promise<Task> {
    const [stored] = await datastore.tasks.create([task]);
    if (stored === undefined) throw new Error('not stored');
    return stored;
  }

  async function until(jobId: string, states: readonly string[]): Promise<Job> {
    for (let i = 0; i < 200; i++) {
      const job = await datastore.jobs.get(jobId);
      if (job !== undefined && states.includes(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`job ${jobId} never reached ${states.join('/')}`);
  }

  it('runs tasks in order and completes the job with the last result', async () => {
    await workerAnswering((run) => [started(run), completed(run, `result of ${run.spec.name ?? ''}`)]);
    const job = await submit([
      { name: 'one', image: 'busybox' },
      { name: 'two', image: 'busybox' },
      { name: 'three', image: 'busybox' },
    ]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done.state).toBe('COMPLETED');
    expect(done.result).toBe('result of three');
    expect(runs.map((run) => run.spec.name)).toEqual(['one', 'two', 'three']);
    const tasks = await datastore.tasks.list(job.id);
    expect(tasks.map((task) => [task.index, task.state, task.result])).toEqual([
      [0, 'COMPLETED', 'result of one'],
      [1, 'COMPLETED', 'result of two'],
      [2, 'COMPLETED', 'result of three'],
    ]);
    expect(tasks.every((task) => task.nodeId === NODE && task.startedAt !== undefined)).toBe(true);
  });

  it('fails the job with the task error and never starts later tasks', async () => {
    await workerAnswering((run) =>
      run.spec.name === 'two'
        ? [started(run), failed(run, 'exit code 3: boom')]
        : [started(run), completed(run, 'ok')],
    );
    const job = await submit([
      { name: 'one', image: 'busybox' },
      { name: 'two', image: 'busybox' },
      { name: 'three', image: 'busybox' },
    ]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done.state).toBe('FAILED');
    expect(done.error).toBe('exit code 3: boom');
    await settle();
    const tasks = await datastore.tasks.list(job.id);
    expect(tasks.map((task) => [task.spec.name, task.state])).toEqual([
      ['one', 'COMPLETED'],
      ['two', 'FAILED'],
    ]);
    expect(runs.map((run) => run.spec.name)).toEqual(['one', 'two']);
  });

  it('ignores a duplicated completion: the next task is created and run once', async () => {
    await workerAnswering((run) => [started(run), completed(run, 'ok'), completed(run, 'ok again')]);
    const job = await submit([
      { name: 'one', image: 'busybox' },
      { name: 'two', image: 'busybox' },
    ]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    await settle();
    expect(done.state).toBe('COMPLETED');
    const tasks = await datastore.tasks.list(job.id);
    expect(tasks).toHaveLength(2);
    expect(tasks.map((task) => task.result)).toEqual(['ok', 'ok']);
    expect(runs.map((run) => run.spec.name)).toEqual(['one', 'two']);
  });

  it('accepts a completion before its start, and a late start changes nothing', async () => {
    await workerAnswering((run) => [completed(run, 'early'), started(run)]);
    const job = await submit([{ name: 'one', image: 'busybox' }]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    await settle();
    expect(done.state).toBe('COMPLETED');
    const [task] = await datastore.tasks.list(job.id);
    expect(task?.state).toBe('COMPLETED');
    expect(task?.result).toBe('early');
    expect((await datastore.jobs.get(job.id))?.state).toBe('COMPLETED');
  });

  it('ignores a failure that arrives after the task completed', async () => {
    await workerAnswering((run) => [started(run), completed(run, 'fine'), failed(run, 'late failure')]);
    const job = await submit([{ name: 'one', image: 'busybox' }]);
    await until(job.id, ['COMPLETED', 'FAILED']);
    await settle();
    const stored = await datastore.jobs.get(job.id);
    expect(stored?.state).toBe('COMPLETED');
    expect(stored?.error).toBeUndefined();
  });

  it('starts a job once however often it is submitted', async () => {
    await workerAnswering((run) => [started(run), completed(run, 'ok')]);
    const job = await submit([{ name: 'one', image: 'busybox' }]);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
    await until(job.id, ['COMPLETED']);
    await settle();
    expect(await datastore.tasks.list(job.id)).toHaveLength(1);
    expect(runs).toHaveLength(1);
  });

  it('tells the worker to stop a task that was cancelled before it started', async () => {
    const commands: Message[] = [];
    await broker.subscribe(`x-${NODE}`, (message) => Promise.resolve(void commands.push(message)), {
      concurrency: 1,
    });
    await workerAnswering(() => []);
    const job = await submit([{ name: 'one', image: 'busybox' }]);
    await until(job.id, ['SCHEDULED']);
    await waitFor(() => runs.length === 1);
    await broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: job.id });
    await until(job.id, ['CANCELLED']);
    const run = runs[0]!;
    await broker.publish(QUEUE.started, started(run));
    await waitFor(() => commands.length === 1);
    expect(commands).toEqual([{ type: 'task.cancel', taskId: run.id }]);
    expect((await datastore.tasks.get(run.id))?.state).toBe('CANCELLED');
  });

  it('retries a failed task after its delay, as a new attempt, then completes the job', async () => {
    await workerAnswering((run) =>
      run.attempt < 3
        ? [started(run), failed(run, `attempt ${run.attempt} failed`)]
        : [started(run), completed(run, 'third time lucky')],
    );
    const job = await submit([
      { name: 'flaky', image: 'busybox', retry: { limit: 2, initialDelay: '100ms', scalingFactor: 2 } },
    ]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done.state).toBe('COMPLETED');
    expect(done.result).toBe('third time lucky');
    const tasks = await datastore.tasks.list(job.id);
    expect(tasks.map((task) => [task.attempt, task.state, task.error])).toEqual([
      [1, 'FAILED', 'attempt 1 failed'],
      [2, 'FAILED', 'attempt 2 failed'],
      [3, 'COMPLETED', undefined],
    ]);
    // attempt n waits initialDelay × scalingFactor^(n-1): 100ms, then 200ms
    const gap = (a: number, b: number): number =>
      Date.parse(tasks[b]!.startedAt!) - Date.parse(tasks[a]!.failedAt!);
    expect(gap(0, 1)).toBeGreaterThanOrEqual(100);
    expect(gap(1, 2)).toBeGreaterThanOrEqual(200);
  });

  it('fails the job once the retry limit is used up', async () => {
    await workerAnswering((run) => [started(run), failed(run, `failure ${run.attempt}`)]);
    const job = await submit([
      { image: 'busybox', retry: { limit: 2, initialDelay: '10ms' } },
      { image: 'busybox' },
    ]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    await settle();
    expect(done.state).toBe('FAILED');
    expect(done.error).toBe('failure 3');
    expect(
      (await datastore.tasks.list(job.id)).map((task) => [task.index, task.attempt, task.state]),
    ).toEqual([
      [0, 1, 'FAILED'],
      [0, 2, 'FAILED'],
      [0, 3, 'FAILED'],
    ]);
  });

  it("hands a task back on its worker's runtime failure without spending its retries, and runs it again at once", async () => {
    await workerAnswering((run) =>
      run.attempt < 4
        ? [started(run), { ...failed(run, 'engine unavailable'), failure: { kind: 'runtime' } } as Message]
        : [started(run), completed(run, 'ran elsewhere')],
    );
    const job = await submit([{ image: 'busybox', retry: { limit: 1, initialDelay: '5m' } }]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done).toMatchObject({ state: 'COMPLETED', result: 'ran elsewhere' });
    const tasks = await datastore.tasks.list(job.id);
    expect(
      tasks.map((task) => [task.attempt, task.state, task.retries, task.handBacks, task.failure?.kind]),
    ).toEqual([
      [1, 'FAILED', 0, undefined, 'runtime'],
      [2, 'FAILED', 0, 1, 'runtime'],
      [3, 'FAILED', 0, 2, 'runtime'],
      [4, 'COMPLETED', 0, 3, undefined],
    ]);
  });

  it('fails a task handed back five times the sixth time its runtime fails, its retries untouched', async () => {
    await workerAnswering((run) => [
      started(run),
      { ...failed(run, 'engine unavailable'), failure: { kind: 'runtime' } } as Message,
    ]);
    const job = await submit([{ image: 'busybox', retry: { limit: 3 } }]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    await settle();
    expect(done).toMatchObject({ state: 'FAILED', error: 'engine unavailable' });
    const tasks = await datastore.tasks.list(job.id);
    expect(tasks.map((task) => [task.attempt, task.retries, task.handBacks ?? 0])).toEqual([
      [1, 0, 0],
      [2, 0, 1],
      [3, 0, 2],
      [4, 0, 3],
      [5, 0, 4],
      [6, 0, 5],
    ]);
  });

  it("stores a running task's progress and its job's, and ignores progress that comes after the task ended", async () => {
    let second: TaskRun | undefined;
    await workerAnswering((run) => {
      if (run.spec.name === 'first') return [started(run), completed(run, 'one')];
      second = run;
      return [started(run), progress(run, 40)];
    });
    const job = await submit([
      { name: 'first', image: 'busybox' },
      { name: 'second', image: 'busybox' },
    ]);
    await waitFor(() => second !== undefined);
    const taskId = second!.id;
    await until(job.id, ['RUNNING']);
    for (let i = 0; i < 200 && (await datastore.tasks.get(taskId))?.progress !== 40; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await datastore.tasks.get(taskId))?.progress).toBe(40);
    expect((await datastore.jobs.get(job.id))?.progress).toBe(70);

    await broker.publish(QUEUE.completed, completed(second!, 'two'));
    await until(job.id, ['COMPLETED']);
    await broker.publish(QUEUE.progress, progress(second!, 90));
    await settle();
    expect((await datastore.tasks.get(taskId))?.progress).toBe(40);
  });

  it('cancels a running job: its task is cancelled and its worker told to stop', async () => {
    const commands: Message[] = [];
    await broker.subscribe(`x-${NODE}`, (message) => Promise.resolve(void commands.push(message)), {
      concurrency: 1,
    });
    await workerAnswering((run) => [started(run)]);
    const job = await submit([{ image: 'busybox' }, { image: 'busybox' }]);
    await until(job.id, ['RUNNING']);
    await broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: job.id });
    await until(job.id, ['CANCELLED']);
    await waitFor(() => commands.length === 1);
    const [task] = await datastore.tasks.list(job.id);
    expect(task?.state).toBe('CANCELLED');
    expect(commands).toEqual([{ type: 'task.cancel', taskId: task?.id }]);
    // a completion arriving after the cancel changes nothing and starts nothing
    await broker.publish(QUEUE.completed, completed(runs[0]!, 'too late'));
    await settle();
    expect((await datastore.jobs.get(job.id))?.state).toBe('CANCELLED');
    expect(await datastore.tasks.list(job.id)).toHaveLength(1);
  });

  it('schedules a retry whose timer died with its process, once its time has passed', async () => {
    await workerAnswering((run) => [started(run), completed(run, `attempt ${run.attempt}`)]);
    const job = newJob(
      parseJobSpec({ tasks: [{ image: 'busybox', retry: { limit: 1 } }] }),
      new Date().toISOString(),
    );
    await datastore.jobs.create({ ...job, state: 'RUNNING' });
    // As a scheduler that crashed leaves it: attempt 1 failed, attempt 2 stored with its runAt, no timer left.
    const failedAt = new Date(Date.now() - 5000).toISOString();
    await createTask({ ...taskFixture(job, 0, 1, failedAt), state: 'FAILED', failedAt, error: 'boom' });
    await createTask({
      ...taskFixture(job, 0, 2, failedAt),
      runAt: new Date(Date.now() - 3000).toISOString(),
    });
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done.result).toBe('attempt 2');
  });

  it('leaves a retry PENDING when its pending message comes before its runAt', async () => {
    await workerAnswering((run) => [started(run), completed(run, 'too early')]);
    const job = newJob(parseJobSpec({ tasks: [{ image: 'busybox' }] }), new Date().toISOString());
    await datastore.jobs.create({ ...job, state: 'RUNNING' });
    const retry = await createTask({
      ...taskFixture(job, 0, 2, new Date().toISOString()),
      runAt: new Date(Date.now() + 35 * 24 * 3_600_000).toISOString(),
    });

    await broker.publish(QUEUE.pending, { type: 'task.pending', jobId: job.id, taskId: retry.id });
    await settle();

    expect((await datastore.tasks.get(retry.id))?.state).toBe('PENDING');
    expect(runs).toEqual([]);
  });

  it('keeps a task RUNNING whose timeout is too large for a deadline', async () => {
    await workerAnswering((run) => [{ ...started(run), timeout: '9999999999h' } as Message]);
    const job = await submit([{ image: 'busybox' }]);

    await until(job.id, ['RUNNING']);
    await settle();
    const [task] = await datastore.tasks.list(job.id);
    expect(task?.state).toBe('RUNNING');
    expect(task?.deadlineAt).toBeUndefined();
    expect((await datastore.jobs.get(job.id))?.state).toBe('RUNNING');
  });

  it('sends a task its scheduler marked SCHEDULED but stopped before sending', async () => {
    await workerAnswering((run) => [started(run), completed(run, 'sent by the sweeper')]);
    const job = newJob(parseJobSpec({ tasks: [{ image: 'busybox' }] }), new Date().toISOString());
    await datastore.jobs.create({ ...job, state: 'SCHEDULED' });
    const scheduledAt = new Date(Date.now() - 1000).toISOString();
    // As a scheduler killed between its compare-and-set and its publish leaves it.
    const task = await createTask({
      ...taskFixture(job, 0, 1, scheduledAt),
      state: 'SCHEDULED',
      scheduledAt,
    });

    const done = await until(job.id, ['COMPLETED']);
    expect(done.result).toBe('sent by the sweeper');
    expect(runs.map((run) => run.id)).toEqual([task.id]);
  });

  it('marks every task it sends as confirmed, so that the sweeper never sends it again', async () => {
    await workerAnswering(() => []); // takes the task and never answers: it stays SCHEDULED
    const job = await submit([{ image: 'busybox' }]);
    await until(job.id, ['SCHEDULED']);
    await expect.poll(async () => (await datastore.tasks.list(job.id))[0]?.publishedAt).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 800)); // past lostAfterMs, several sweeps
    expect(runs).toHaveLength(1);
  });

  it('sends again a job whose submission message was lost', async () => {
    await workerAnswering((run) => [started(run), completed(run, 'recovered')]);
    const job = newJob(
      parseJobSpec({ tasks: [{ image: 'busybox' }] }),
      new Date(Date.now() - 1000).toISOString(),
    );
    await datastore.jobs.create(job); // stored, but never published: the sweeper must notice
    const done = await until(job.id, ['COMPLETED']);
    expect(done.result).toBe('recovered');
  });

  it("fails a running task past its deadline when its worker never reports, and applies the task's retry", async () => {
    await workerAnswering((run) =>
      run.attempt === 1 ? [started(run)] : [started(run), completed(run, 'second attempt')],
    );
    const job = await submit([
      { image: 'busybox', timeout: '50ms', retry: { limit: 1, initialDelay: '10ms' } },
    ]);
    await waitFor(() => runs.length === 1);
    await until(job.id, ['RUNNING']);
    const [first] = await datastore.tasks.list(job.id);
    const kept = await datastore.tasks.get(first!.id);
    // The deadline runs from when the scheduler heard of the start (its own clock), not the worker's.
    const deadlineAfterStart = Date.parse(kept!.deadlineAt!) - Date.parse(kept!.startedAt!);
    expect(deadlineAfterStart).toBeGreaterThanOrEqual(50 + DEADLINE_GRACE_MS);
    expect(deadlineAfterStart).toBeLessThan(50 + DEADLINE_GRACE_MS + 1000);
    // the scheduler's deadline is the timeout plus a grace for the worker; bring it forward for the test
    await datastore.tasks.update(first!.id, {
      from: ['RUNNING'],
      patch: { deadlineAt: new Date(Date.now() - 1).toISOString() },
    });
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done.state).toBe('COMPLETED');
    const tasks = await datastore.tasks.list(job.id);
    expect(tasks[0]?.state).toBe('FAILED');
    expect(tasks[0]?.error).toContain('timed out after 50ms');
  });

  it('runs again the task of a worker that stopped sending heartbeats, and tells survivors to clean up', async () => {
    const heartbeat = (id: string): Message => ({
      type: 'node.heartbeat',
      node: {
        id,
        hostname: 'h',
        queues: { default: 1 },
        runningTasks: 0,
        startedAt: new Date().toISOString(),
        lastHeartbeatAt: new Date().toISOString(),
      },
    });
    const survivorCommands: Message[] = [];
    await broker.subscribe('x-node2', (message) => Promise.resolve(void survivorCommands.push(message)), {
      concurrency: 1,
    });
    // node1 takes the task and goes silent; node2 keeps beating and runs the second attempt.
    await workerAnswering((run) =>
      run.attempt === 1
        ? [started(run)]
        : [
            { ...started(run), nodeId: 'node2' },
            { ...completed(run, 'rescued'), nodeId: 'node2' },
          ],
    );
    await broker.publish(QUEUE.heartbeat, heartbeat(NODE));
    const beating = setInterval(() => void broker.publish(QUEUE.heartbeat, heartbeat('node2')), 100);
    try {
      const job = await submit([{ name: 'long', image: 'busybox' }]);
      const done = await until(job.id, ['COMPLETED', 'FAILED']);
      expect(done.state).toBe('COMPLETED');
      const tasks = await datastore.tasks.list(job.id);
      expect(tasks.map((task) => [task.attempt, task.state, task.nodeId])).toEqual([
        [1, 'FAILED', NODE],
        [2, 'COMPLETED', 'node2'],
      ]);
      expect(tasks[0]?.error).toContain(`worker ${NODE} stopped responding`);
      await waitFor(() => survivorCommands.length > 0);
      expect(survivorCommands).toContainEqual({ type: 'node.lost', nodeId: NODE });
      // A late completion from the worker presumed dead changes nothing.
      await broker.publish(QUEUE.completed, completed(runs[0]!, 'zombie'));
      await settle();
      expect((await datastore.tasks.get(tasks[0]!.id))?.state).toBe('FAILED');
      expect((await datastore.jobs.get(job.id))?.result).toBe('rescued');
      const nodes = await datastore.nodes.list();
      expect(nodes.map((node) => node.id).sort()).toEqual([NODE, 'node2']);
    } finally {
      clearInterval(beating);
    }
  });
});

describe('scheduler: clocks, stranded and doubled work', () => {
  let datastore: InMemoryDatastore;
  let broker: InMemoryBroker;
  let scheduler: RunningScheduler | undefined;
  let runs: TaskRun[];

  beforeEach(() => {
    datastore = new InMemoryDatastore();
    broker = new InMemoryBroker();
    runs = [];
  });

  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await broker.close();
  });

  async function start(sweep: Partial<SweepOptions> = {}, store: Datastore = datastore): Promise<void> {
    scheduler = await startScheduler(
      { datastore: store, broker, logger: silentLogger },
      { sweep: { intervalMs: 100, lostAfterMs: 500, batchSize: 100, deadAfterMs: 400, ...sweep } },
    );
  }

  async function workerAnswering(answer: (run: TaskRun, nth: number) => Message[]): Promise<void> {
    await broker.subscribe(
      'default',
      async (message) => {
        if (message.type !== 'task.run') return;
        runs.push(message.task);
        for (const reply of answer(message.task, runs.length)) await broker.publish(queueOf(reply), reply);
      },
      { concurrency: 1 },
    );
  }

  async function commandsTo(node: string): Promise<Message[]> {
    const commands: Message[] = [];
    await broker.subscribe(workerQueue(node), (message) => Promise.resolve(void commands.push(message)), {
      concurrency: 1,
    });
    return commands;
  }

  async function submit(tasks: object[]): Promise<Job> {
    const job = newJob(parseJobSpec({ name: 'test job', tasks }), new Date().toISOString());
    await datastore.jobs.create(job);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
    return job;
  }

  async function until(jobId: string, states: readonly string[]): Promise<Job> {
    for (let i = 0; i < 300; i++) {
      const job = await datastore.jobs.get(jobId);
      if (job !== undefined && states.includes(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`job ${jobId} never reached ${states.join('/')}`);
  }

  it('sends again a task no worker started within -scheduled-timeout, as a worker killed before reporting leaves it', async () => {
    await start({ scheduledTimeoutMs: 400 });
    // The first worker takes the task and dies before reporting its start; the copy sent again runs.
    await workerAnswering((run, nth) => (nth === 1 ? [] : [started(run), completed(run, 'second copy')]));
    const job = await submit([{ image: 'busybox' }]);

    const done = await until(job.id, ['COMPLETED', 'FAILED']);

    expect(done.result).toBe('second copy');
    expect(runs.map((run) => run.id)).toEqual([runs[0]!.id, runs[0]!.id]);
    expect((await datastore.tasks.list(job.id)).map((task) => task.state)).toEqual(['COMPLETED']);
  });

  it('sends such a task again at most once per bound', async () => {
    await start({ scheduledTimeoutMs: 400 });
    await workerAnswering(() => []); // nobody ever starts it
    await submit([{ image: 'busybox' }]);
    await waitFor(() => runs.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 200)); // half a bound, two sweeps
    expect(runs).toHaveLength(2);
  });

  it('tells a second worker that starts a task running elsewhere to cancel its copy, and leaves the first alone', async () => {
    await start();
    const first = await commandsTo(NODE);
    const second = await commandsTo('node2');
    await workerAnswering((run) => [started(run), { ...started(run), nodeId: 'node2' }]);
    const job = await submit([{ image: 'busybox' }]);
    await until(job.id, ['RUNNING']);

    await waitFor(() => second.length > 0);
    expect(second).toEqual([{ type: 'task.cancel', taskId: runs[0]!.id }]);
    await settle();
    expect(first).toEqual([]);
    expect((await datastore.tasks.list(job.id))[0]).toMatchObject({ state: 'RUNNING', nodeId: NODE });
  });

  it('tells a worker that starts a task already completed to cancel its copy', async () => {
    await start();
    const late = await commandsTo('node2');
    await workerAnswering((run) => [
      started(run),
      completed(run, 'done'),
      { ...started(run), nodeId: 'node2' },
    ]);
    const job = await submit([{ image: 'busybox' }]);
    expect((await until(job.id, ['COMPLETED'])).result).toBe('done');

    await waitFor(() => late.length > 0);
    expect(late).toEqual([{ type: 'task.cancel', taskId: runs[0]!.id }]);
  });

  it('keeps a deadline on its own clock: a worker whose clock is an hour behind does not get its task failed', async () => {
    await start();
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    await workerAnswering((run) => [{ ...started(run), at: hourAgo }]);
    const job = await submit([{ image: 'busybox', timeout: '10m' }]);
    await until(job.id, ['RUNNING']);
    await settle(); // a sweep of the deadlines
    await new Promise((resolve) => setTimeout(resolve, 200));

    const [task] = await datastore.tasks.list(job.id);
    expect(task?.state).toBe('RUNNING');
    const lead = Date.parse(task!.deadlineAt!) - Date.now();
    expect(lead).toBeGreaterThan(10 * 60_000);
    expect(lead).toBeLessThanOrEqual(10 * 60_000 + DEADLINE_GRACE_MS);
  });

  it('stamps heartbeats with its own clock: a worker claiming a far future time is still found dead', async () => {
    await start();
    const future = new Date('2999-01-01T00:00:00.000Z').toISOString();
    await broker.publish(QUEUE.heartbeat, {
      type: 'node.heartbeat',
      node: {
        id: NODE,
        hostname: 'h',
        queues: { default: 1 },
        runningTasks: 0,
        startedAt: future,
        lastHeartbeatAt: future,
      },
    });
    await expect.poll(async () => (await datastore.nodes.list())[0]?.lastHeartbeatAt).toBeDefined();
    const [node] = await datastore.nodes.list();
    expect(Date.parse(node!.lastHeartbeatAt)).toBeLessThanOrEqual(Date.now());

    // It takes a task and falls silent: the task runs again instead of waiting until 2999.
    await workerAnswering((run) =>
      run.attempt === 1 ? [started(run)] : [started(run), completed(run, 'rescued')],
    );
    const job = await submit([{ image: 'busybox' }]);
    const done = await until(job.id, ['COMPLETED', 'FAILED']);
    expect(done.result).toBe('rescued');
    expect((await datastore.tasks.list(job.id))[0]?.error).toContain(`worker ${NODE} stopped responding`);
  });

  it('fails a job whose message it cannot handle with a stable reason; the driver text stays in the log', async () => {
    const driverText = 'password authentication failed for user "tork" (db.internal:5432)';
    const poisoned = new Set<string>();
    datastore = new InMemoryDatastore();
    const read = datastore.jobs.get.bind(datastore.jobs);
    datastore.jobs.get = (id: string): Promise<Job | undefined> =>
      poisoned.has(id) ? Promise.reject(new Error(driverText)) : read(id);
    await start();
    const job = newJob(parseJobSpec({ tasks: [{ image: 'busybox' }] }), new Date().toISOString());
    await datastore.jobs.create(job);
    poisoned.add(job.id);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });

    await expect
      .poll(async () => (await datastore.jobs.list({ page: 1, size: 1 })).items[0]?.state)
      .toBe('FAILED');
    poisoned.delete(job.id);
    const failedJob = await datastore.jobs.get(job.id);
    expect(failedJob?.error).toBe(
      'internal error: the scheduler could not handle a job.submitted message (its log has the details)',
    );
  });
});

function started(run: TaskRun): Message {
  return {
    type: 'task.started',
    jobId: run.jobId,
    taskId: run.id,
    nodeId: NODE,
    ...(run.spec.timeout === undefined ? {} : { timeout: run.spec.timeout }),
    at: new Date().toISOString(),
  };
}

function completed(run: TaskRun, result: string): Message {
  return {
    type: 'task.completed',
    jobId: run.jobId,
    taskId: run.id,
    nodeId: NODE,
    result,
    at: new Date().toISOString(),
  };
}

function failed(run: TaskRun, error: string): Message {
  return {
    type: 'task.failed',
    jobId: run.jobId,
    taskId: run.id,
    nodeId: NODE,
    error,
    at: new Date().toISOString(),
  };
}

function progress(run: TaskRun, percent: number): Message {
  return {
    type: 'task.progress',
    jobId: run.jobId,
    taskId: run.id,
    progress: percent,
    at: new Date().toISOString(),
  };
}

function queueOf(message: Message): string {
  switch (message.type) {
    case 'task.started':
      return QUEUE.started;
    case 'task.completed':
      return QUEUE.completed;
    case 'task.failed':
      return QUEUE.error;
    case 'task.progress':
      return QUEUE.progress;
    default:
      throw new Error(`no reply queue for ${message.type}`);
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition never held');
}

/** Lets queued messages drain, so a test can assert that nothing more happens. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}
