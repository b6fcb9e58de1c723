import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import {
  newJob,
  parseJobSpec,
  QUEUE,
  silentLogger,
  type Job,
  type Message,
  type TaskRun,
} from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScheduler, type RunningScheduler } from './scheduler.js';

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
    scheduler = await startScheduler({
      datastore,
      broker,
      logger: silentLogger,
      now: () => new Date().toISOString(),
    });
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
    await datastore.createJob(job);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
    return job;
  }

  async function until(jobId: string, states: readonly string[]): Promise<Job> {
    for (let i = 0; i < 200; i++) {
      const job = await datastore.getJob(jobId);
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
    const tasks = await datastore.listTasks(job.id);
    expect(tasks.map((task) => [task.position, task.state, task.result])).toEqual([
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
    const tasks = await datastore.listTasks(job.id);
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
    const tasks = await datastore.listTasks(job.id);
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
    const [task] = await datastore.listTasks(job.id);
    expect(task?.state).toBe('COMPLETED');
    expect(task?.result).toBe('early');
    expect((await datastore.getJob(job.id))?.state).toBe('COMPLETED');
  });

  it('ignores a failure that arrives after the task completed', async () => {
    await workerAnswering((run) => [started(run), completed(run, 'fine'), failed(run, 'late failure')]);
    const job = await submit([{ name: 'one', image: 'busybox' }]);
    await until(job.id, ['COMPLETED', 'FAILED']);
    await settle();
    const stored = await datastore.getJob(job.id);
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
    expect(await datastore.listTasks(job.id)).toHaveLength(1);
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
    expect((await datastore.getTask(run.id))?.state).toBe('CANCELLED');
  });
});

function started(run: TaskRun): Message {
  return {
    type: 'task.started',
    jobId: run.jobId,
    taskId: run.id,
    nodeId: NODE,
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

function queueOf(message: Message): string {
  switch (message.type) {
    case 'task.started':
      return QUEUE.started;
    case 'task.completed':
      return QUEUE.completed;
    case 'task.failed':
      return QUEUE.error;
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
