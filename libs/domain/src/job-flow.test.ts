import { parseJobSpec } from './job-spec.js';
import { describe, expect, it } from 'vitest';
import { isId } from './ids.js';
import { afterTaskCompleted, afterTaskFailed, afterWorkerLost, newJob, newTask } from './job-flow.js';
import type { JobSpec } from './job-spec.schema.js';
import { retryDelayMs } from './retry-delay.js';
import type { Task } from './task.js';

const NOW = '2024-01-01T12:00:00.000Z';

const spec: JobSpec = {
  name: 'two steps',
  tasks: [
    { name: 'first', image: 'busybox', run: 'echo one' },
    { name: 'second', image: 'busybox', run: 'echo two', queue: 'transcoding' },
  ],
};

describe('newJob', () => {
  it('starts PENDING at the first task, with the spec as submitted', () => {
    const job = newJob(spec, NOW);

    expect(job).toEqual({
      id: job.id,
      name: 'two steps',
      state: 'PENDING',
      tasks: spec.tasks,
      position: 0,
      createdAt: NOW,
    });
    expect(isId(job.id)).toBe(true);
  });

  it('gives each job its own id', () => {
    expect(newJob(spec, NOW).id).not.toBe(newJob(spec, NOW).id);
  });

  it('has no name when the spec has none', () => {
    const job = newJob({ tasks: [{ image: 'busybox' }] }, NOW);

    expect(job.name).toBeUndefined();
    expect('name' in job).toBe(false);
  });
});

describe('newTask', () => {
  const job = newJob(spec, NOW);

  it('creates a PENDING execution of the task at a position, on the default queue unless the spec names one', () => {
    const first = newTask(job, 0, 1, NOW);
    const second = newTask(job, 1, 3, NOW);

    expect(first).toEqual({
      id: first.id,
      jobId: job.id,
      position: 0,
      attempt: 1,
      state: 'PENDING',
      spec: spec.tasks[0],
      queue: 'default',
      createdAt: NOW,
    });
    expect(second).toMatchObject({ position: 1, attempt: 3, queue: 'transcoding', spec: spec.tasks[1] });
    expect(isId(first.id)).toBe(true);
    expect(first.id).not.toBe(second.id);
  });

  it('refuses a position the job does not have', () => {
    expect(() => newTask(job, 2, 1, NOW)).toThrow(RangeError);
    expect(() => newTask(job, 2, 1, NOW)).toThrow(`job ${job.id} has no task at position 2`);
    expect(() => newTask(job, -1, 1, NOW)).toThrow(RangeError);
  });
});

describe('afterTaskCompleted', () => {
  const job = newJob(spec, NOW);
  const completed = (position: number, result?: string): Task => ({
    ...newTask(job, position, 1, NOW),
    state: 'COMPLETED',
    ...(result === undefined ? {} : { result }),
  });

  it('moves on to the next task', () => {
    expect(afterTaskCompleted(job, completed(0, 'one'))).toEqual({ kind: 'next', position: 1 });
  });

  it("completes the job after the last task, with that task's result", () => {
    expect(afterTaskCompleted(job, completed(1, 'hello world'))).toEqual({
      kind: 'complete',
      result: 'hello world',
    });
  });

  it('completes the job without a result when the last task left none', () => {
    expect(afterTaskCompleted(job, completed(1))).toEqual({ kind: 'complete' });
  });

  it('completes a one-task job after its only task', () => {
    const single = newJob({ tasks: [{ image: 'busybox' }] }, NOW);
    expect(
      afterTaskCompleted(single, { ...newTask(single, 0, 2, NOW), state: 'COMPLETED', result: '' }),
    ).toEqual({ kind: 'complete', result: '' });
  });
});

describe('afterTaskFailed', () => {
  const job = newJob(spec, NOW);

  it("fails the job with the task's error", () => {
    expect(
      afterTaskFailed(job, { ...newTask(job, 0, 1, NOW), state: 'FAILED', error: 'exit code 1' }, NOW),
    ).toEqual({
      kind: 'fail',
      error: 'exit code 1',
    });
  });

  it('fails the job with a generic error when the task gave none', () => {
    expect(afterTaskFailed(job, { ...newTask(job, 0, 1, NOW), state: 'FAILED' }, NOW)).toEqual({
      kind: 'fail',
      error: 'task failed',
    });
  });

  const retrying = newJob(
    parseJobSpec({
      tasks: [{ image: 'busybox', retry: { limit: 2, initialDelay: '2s', scalingFactor: 3 } }],
    }),
    NOW,
  );

  it('retries while the limit allows, each attempt waiting initialDelay × scalingFactor^(n-1)', () => {
    const first = afterTaskFailed(
      retrying,
      { ...newTask(retrying, 0, 1, NOW), state: 'FAILED', error: 'boom' },
      NOW,
    );
    expect(first.kind).toBe('retry');
    if (first.kind !== 'retry') return;
    expect(first.delayMs).toBe(2000);
    expect(first.task).toMatchObject({
      position: 0,
      attempt: 2,
      state: 'PENDING',
      runAt: new Date(Date.parse(NOW) + 2000).toISOString(),
    });
    const second = afterTaskFailed(retrying, { ...first.task, state: 'FAILED', error: 'boom' }, NOW);
    expect(second.kind === 'retry' && second.delayMs).toBe(6000);
    if (second.kind !== 'retry') return;
    expect(afterTaskFailed(retrying, { ...second.task, state: 'FAILED', error: 'boom again' }, NOW)).toEqual({
      kind: 'fail',
      error: 'boom again',
    });
  });

  it('uses the defaults 1s and 2 when the retry sets only a limit (or nulls)', () => {
    expect(retryDelayMs({ limit: 3 }, 1)).toBe(1000);
    expect(retryDelayMs({ limit: 3, initialDelay: null, scalingFactor: null }, 3)).toBe(4000);
  });

  it('does not retry with limit 0', () => {
    const none = newJob(parseJobSpec({ tasks: [{ image: 'busybox', retry: { limit: 0 } }] }), NOW);
    expect(
      afterTaskFailed(none, { ...newTask(none, 0, 1, NOW), state: 'FAILED', error: 'x' }, NOW).kind,
    ).toBe('fail');
  });
});

describe('afterWorkerLost', () => {
  const plain = newJob(parseJobSpec({ tasks: [{ image: 'busybox' }] }), NOW);
  const generous = newJob(
    parseJobSpec({ tasks: [{ image: 'busybox', retry: { limit: 4, initialDelay: '1m' } }] }),
    NOW,
  );
  const lost = (job: typeof plain, attempt: number): Task => ({
    ...newTask(job, 0, attempt, NOW),
    state: 'FAILED',
    error: 'worker w1 stopped responding',
  });

  it('runs the task again at once even without a retry policy, twice at most', () => {
    const first = afterWorkerLost(plain, lost(plain, 1), NOW);
    expect(first).toMatchObject({ kind: 'retry', delayMs: 0, task: { attempt: 2, state: 'PENDING' } });
    expect(first.kind === 'retry' && first.task.runAt).toBeUndefined();
    expect(afterWorkerLost(plain, lost(plain, 2), NOW).kind).toBe('retry');
    expect(afterWorkerLost(plain, lost(plain, 3), NOW)).toEqual({
      kind: 'fail',
      error: 'worker w1 stopped responding',
    });
  });

  it('follows a larger retry limit, without its delay', () => {
    expect(afterWorkerLost(generous, lost(generous, 4), NOW)).toMatchObject({ kind: 'retry', delayMs: 0 });
    expect(afterWorkerLost(generous, lost(generous, 5), NOW).kind).toBe('fail');
  });
});
