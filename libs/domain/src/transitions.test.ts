import { describe, expect, it } from 'vitest';
import { JOB_STATES, type Job, type JobState } from './job.js';
import { TASK_STATES, type Task, type TaskState } from './task.js';
import {
  applyChange,
  canApplyJobEvent,
  canApplyTaskEvent,
  jobChange,
  taskChange,
  type JobTransition,
  type TaskTransition,
} from './transitions.js';

const AT = '2024-01-01T12:00:00.000Z';
const LATER = '2024-01-01T12:05:00.000Z';

/** The lifecycle as users see it, written out independently of the tables under test. */
interface Allowed<S> {
  readonly from: readonly S[];
  readonly to: S;
  readonly stamp?: string;
}
const ALLOWED: Record<TaskTransition, Allowed<TaskState>> = {
  promote: { from: ['CREATED'], to: 'PENDING' },
  schedule: { from: ['PENDING'], to: 'SCHEDULED', stamp: 'scheduledAt' },
  start: { from: ['PENDING', 'SCHEDULED'], to: 'RUNNING', stamp: 'startedAt' },
  complete: { from: ['SCHEDULED', 'RUNNING'], to: 'COMPLETED', stamp: 'completedAt' },
  skip: { from: ['PENDING'], to: 'SKIPPED', stamp: 'completedAt' },
  fail: { from: ['CREATED', 'PENDING', 'SCHEDULED', 'RUNNING'], to: 'FAILED', stamp: 'failedAt' },
  cancel: { from: ['CREATED', 'PENDING', 'SCHEDULED', 'RUNNING'], to: 'CANCELLED', stamp: 'cancelledAt' },
  restart: { from: ['FAILED', 'CANCELLED'], to: 'RUNNING' },
};
const EVENTS = Object.keys(ALLOWED) as TaskTransition[];
const JOB_ALLOWED: Record<JobTransition, Allowed<JobState>> = {
  schedule: { from: ['PENDING'], to: 'SCHEDULED', stamp: 'scheduledAt' },
  start: { from: ['PENDING', 'SCHEDULED'], to: 'RUNNING', stamp: 'startedAt' },
  complete: { from: ['SCHEDULED', 'RUNNING'], to: 'COMPLETED', stamp: 'completedAt' },
  fail: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'FAILED', stamp: 'failedAt' },
  cancel: { from: ['PENDING', 'SCHEDULED', 'RUNNING'], to: 'CANCELLED', stamp: 'cancelledAt' },
  restart: { from: ['FAILED', 'CANCELLED'], to: 'RUNNING' },
};
const JOB_EVENT_NAMES = Object.keys(JOB_ALLOWED) as JobTransition[];
const stamped = (rule: Allowed<string>, at: string): Record<string, string> =>
  rule.stamp === undefined ? {} : { [rule.stamp]: at };

function task(state: TaskState, fields: Partial<Task> = {}): Task {
  return {
    id: 'task-1',
    jobId: 'job-1',
    index: 0,
    kind: 'task',
    attempt: 1,
    retries: 0,
    state,
    spec: { image: 'busybox', run: 'echo hi' },
    queue: 'default',
    createdAt: AT,
    ...fields,
  };
}

function job(state: JobState, fields: Partial<Job> = {}): Job {
  return {
    id: 'job-1',
    name: 'hello job',
    state,
    tasks: [{ image: 'busybox' }],
    position: 0,
    createdAt: AT,
    ...fields,
  };
}

describe('task events', () => {
  const cases = EVENTS.flatMap((event) =>
    TASK_STATES.map((state) => ({ event, state, allowed: ALLOWED[event].from.includes(state) })),
  );

  it.each(cases)('$event from $state is allowed: $allowed', ({ event, state, allowed }) => {
    expect(canApplyTaskEvent(event, state)).toBe(allowed);
    const applied = applyChange(task(state), taskChange(event, LATER));
    if (allowed) {
      expect(applied).toEqual({
        ...task(state),
        state: ALLOWED[event].to,
        ...stamped(ALLOWED[event], LATER),
      });
    } else {
      expect(applied).toBeUndefined();
    }
  });

  it('never leaves a completed or skipped task, and leaves a failed or cancelled one only by a restart', () => {
    for (const state of ['COMPLETED', 'SKIPPED'] as const) {
      for (const event of EVENTS) expect(canApplyTaskEvent(event, state)).toBe(false);
    }
    for (const state of ['FAILED', 'CANCELLED'] as const) {
      expect(EVENTS.filter((event) => canApplyTaskEvent(event, state))).toEqual(['restart']);
    }
  });

  it('carries the fields of the change and stamps the time of the event', () => {
    expect(taskChange('complete', LATER, { result: 'hello world', nodeId: 'node-1' })).toEqual({
      from: ['SCHEDULED', 'RUNNING'],
      patch: { result: 'hello world', nodeId: 'node-1', state: 'COMPLETED', completedAt: LATER },
      at: LATER,
    });
  });

  it('lets the event, not the fields, decide the state', () => {
    expect(taskChange('fail', LATER, { state: 'COMPLETED', error: 'exit code 1' }).patch).toEqual({
      state: 'FAILED',
      failedAt: LATER,
      error: 'exit code 1',
    });
  });
});

describe('job events', () => {
  const cases = JOB_EVENT_NAMES.flatMap((event) =>
    JOB_STATES.map((state) => ({ event, state, allowed: JOB_ALLOWED[event].from.includes(state) })),
  );

  it.each(cases)('$event from $state is allowed: $allowed', ({ event, state, allowed }) => {
    expect(canApplyJobEvent(event, state)).toBe(allowed);
    const applied = applyChange(job(state), jobChange(event, LATER));
    if (allowed) {
      expect(applied).toEqual({
        ...job(state),
        state: JOB_ALLOWED[event].to,
        ...stamped(JOB_ALLOWED[event], LATER),
      });
    } else {
      expect(applied).toBeUndefined();
    }
  });

  it('carries the fields of the change', () => {
    expect(
      applyChange(
        job('RUNNING', { startedAt: AT }),
        jobChange('complete', LATER, { result: 'hello world', position: 1 }),
      ),
    ).toEqual(job('COMPLETED', { startedAt: AT, completedAt: LATER, result: 'hello world', position: 1 }));
  });
});

describe('applyChange', () => {
  it('returns a new record and leaves the one it was given alone', () => {
    const pending = task('PENDING');
    const before = structuredClone(pending);

    const scheduled = applyChange(pending, taskChange('schedule', LATER));

    expect(scheduled).not.toBe(pending);
    expect(scheduled?.state).toBe('SCHEDULED');
    expect(pending).toEqual(before);
  });

  it('keeps what earlier events recorded', () => {
    const running = task('RUNNING', { scheduledAt: AT, startedAt: AT, nodeId: 'node-1' });

    expect(applyChange(running, taskChange('complete', LATER, { result: 'done' }))).toEqual({
      ...running,
      state: 'COMPLETED',
      completedAt: LATER,
      result: 'done',
    });
  });
});

describe('duplicate, late and out-of-order events change nothing', () => {
  /** Applies events in order, as the scheduler does with compare-and-set: a refused change leaves the record as it was. */
  function replay(start: Task, events: readonly [TaskTransition, Partial<Task>][]): Task {
    return events.reduce((current, [event, fields], index) => {
      const at = `2024-01-01T12:00:0${index + 1}.000Z`;
      return applyChange(current, taskChange(event, at, fields)) ?? current;
    }, start);
  }

  it('a completed message that arrives twice completes the task once, keeping the first result', () => {
    const done = replay(task('PENDING'), [
      ['schedule', {}],
      ['start', { nodeId: 'node-1' }],
      ['complete', { result: 'hello world' }],
      ['complete', { result: 'hello world, again' }],
    ]);

    expect(done).toMatchObject({
      state: 'COMPLETED',
      result: 'hello world',
      completedAt: '2024-01-01T12:00:03.000Z',
    });
  });

  it('a started message that arrives after completion does not bring the task back to RUNNING', () => {
    const done = replay(task('PENDING'), [
      ['schedule', {}],
      ['complete', { result: 'fast' }],
      ['start', { nodeId: 'node-2' }],
    ]);

    expect(done).toMatchObject({ state: 'COMPLETED', result: 'fast' });
    expect(done.nodeId).toBeUndefined();
    expect(done.startedAt).toBeUndefined();
  });

  it('a failure reported after completion, or a completion after cancellation, is ignored', () => {
    expect(
      replay(task('RUNNING'), [
        ['complete', { result: 'ok' }],
        ['fail', { error: 'late error' }],
      ]),
    ).toMatchObject({ state: 'COMPLETED', result: 'ok' });
    expect(
      replay(task('RUNNING'), [
        ['cancel', {}],
        ['complete', { result: 'too late' }],
      ]),
    ).toEqual({ ...task('RUNNING'), state: 'CANCELLED', cancelledAt: '2024-01-01T12:00:01.000Z' });
  });

  it('a late schedule does not move a running task back', () => {
    const running = replay(task('PENDING'), [
      ['start', {}],
      ['schedule', {}],
    ]);

    expect(running.state).toBe('RUNNING');
    expect(running.scheduledAt).toBeUndefined();
  });
});
