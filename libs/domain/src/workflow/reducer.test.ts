import { describe, expect, it } from 'vitest';
import { parseJobSpec } from '../job-spec/parse.js';
import type { Job, JobContext } from '../job.js';
import type { Task } from '../task.js';
import type { Effect } from './effects.js';
import { newExecution, newJob, subjobIdOf } from './executions.js';
import { dispatchPromoted, reduce } from './reducer.js';

const NOW = '2024-01-01T12:00:00.000Z';
const CONTEXT: JobContext = { inputs: {}, secrets: {}, tasks: {} };

function jobOf(body: unknown, fields: Partial<Job> = {}): Job {
  return { ...newJob(parseJobSpec(body), NOW), ...fields };
}

function taskOf(job: Job, index: number, fields: Partial<Task> = {}, context = CONTEXT): Task {
  const spec = job.tasks[index];
  if (spec === undefined) throw new RangeError('no such task');
  return { ...newExecution({ job, index, spec, context, now: NOW }), ...fields };
}

/** The effects of a type, narrowed. */
function effectsOf<T extends Effect['type']>(
  effects: readonly Effect[],
  type: T,
): Extract<Effect, { type: T }>[] {
  return effects.filter((effect): effect is Extract<Effect, { type: T }> => effect.type === type);
}

function created(effects: readonly Effect[]): Task[] {
  return effectsOf(effects, 'createTasks').flatMap((effect) => [...effect.tasks]);
}

describe('starting a job', () => {
  it('schedules the job at position 1 and creates its first task, evaluated, to dispatch at once', () => {
    const job = jobOf({
      name: 'hello',
      inputs: { who: 'world' },
      tasks: [
        { name: 'say {{ inputs.who }}', image: 'busybox', env: { WHO: '{{ inputs.who }}' } },
        { image: 'busybox' },
      ],
    });
    const effects = reduce(
      { type: 'job.submitted', job, context: { ...CONTEXT, inputs: { who: 'world' } } },
      NOW,
    );

    const [schedule] = effectsOf(effects, 'updateJob');
    expect(schedule?.change.patch).toMatchObject({ state: 'SCHEDULED', position: 1 });
    const [first] = created(effects);
    expect(first).toMatchObject({ index: 0, attempt: 1, state: 'PENDING', kind: 'task' });
    expect(first?.spec).toMatchObject({ name: 'say world', env: { WHO: 'world' } });
  });

  it('creates the first task FAILED (never retried) when its expressions do not evaluate', () => {
    const job = jobOf({ tasks: [{ image: '{{ inputs.missing.deeper }}' }] });
    const [first] = created(reduce({ type: 'job.submitted', job, context: CONTEXT }, NOW));
    expect(first).toMatchObject({ state: 'FAILED', failure: { kind: 'rejected' } });
    expect(first?.error).toContain('image');
  });

  it('does nothing for a job that already ran', () => {
    const job = jobOf({ tasks: [{ image: 'busybox' }] }, { state: 'COMPLETED' });
    expect(reduce({ type: 'job.submitted', job, context: CONTEXT }, NOW)).toEqual([]);
  });
});

describe('dispatching a task', () => {
  const running = (body: unknown): Job => jobOf(body, { state: 'RUNNING' });

  it('sends a regular task to its work queue', () => {
    const job = running({ tasks: [{ image: 'busybox' }] });
    expect(reduce({ type: 'task.dispatch', job, task: taskOf(job, 0), context: CONTEXT }, NOW)).toEqual([
      { type: 'scheduleTask', taskId: expect.any(String) as string },
    ]);
  });

  it('skips a task whose `if` is false', () => {
    const job = running({ tasks: [{ image: 'busybox', if: '{{ 1 > 2 }}' }] });
    const [settle] = reduce({ type: 'task.dispatch', job, task: taskOf(job, 0), context: CONTEXT }, NOW);
    expect(settle).toMatchObject({ type: 'settleTask', change: { patch: { state: 'SKIPPED' } } });
  });

  it('cancels a task whose job ended while it waited', () => {
    const job = jobOf({ tasks: [{ image: 'busybox' }] }, { state: 'CANCELLED' });
    const [cancel] = reduce({ type: 'task.dispatch', job, task: taskOf(job, 0), context: CONTEXT }, NOW);
    expect(cancel).toMatchObject({ type: 'updateTask', change: { patch: { state: 'CANCELLED' } } });
  });

  it('starts a parallel task with its counter set, and its job with it, and creates every child', () => {
    const job = running({
      tasks: [{ name: 'p', parallel: { tasks: [{ image: 'a' }, { image: 'b' }, { image: 'c' }] } }],
    });
    const parent = taskOf(job, 0);
    const effects = reduce({ type: 'task.dispatch', job, task: parent, context: CONTEXT }, NOW);

    expect(effectsOf(effects, 'updateTask')[0]?.change.patch).toMatchObject({
      state: 'RUNNING',
      childCount: 3,
      pendingChildren: 3,
    });
    expect(effectsOf(effects, 'markJobRunning')).toMatchObject([
      { jobId: job.id, change: { patch: { state: 'RUNNING' } } },
    ]);
    const children = created(effects);
    expect(children.map((child) => [child.parentId, child.index, child.state, child.spec.image])).toEqual([
      [parent.id, 0, 'PENDING', 'a'],
      [parent.id, 1, 'PENDING', 'b'],
      [parent.id, 2, 'PENDING', 'c'],
    ]);
  });

  it('gives each item of an each its own evaluated child, holding back those past the concurrency', () => {
    const job = running({
      tasks: [
        {
          each: {
            list: '{{ sequence(1, 5) }}',
            var: 'n',
            concurrency: 2,
            task: { var: 'out{{ n.index }}', image: 'busybox', env: { N: '{{ n.value }}' } },
          },
        },
      ],
    });
    const children = created(
      reduce({ type: 'task.dispatch', job, task: taskOf(job, 0), context: CONTEXT }, NOW),
    );
    expect(
      children.map((child) => [child.index, child.state, child.spec.var, child.spec.env?.['N']]),
    ).toEqual([
      [0, 'PENDING', 'out0', '1'],
      [1, 'PENDING', 'out1', '2'],
      [2, 'CREATED', 'out2', '3'],
      [3, 'CREATED', 'out3', '4'],
    ]);
    expect(children[3]?.bindings).toEqual({ n: { index: '3', value: 4 } });
  });

  it('completes an each with an empty list at once, and fails one whose list is not a list', () => {
    const empty = running({ tasks: [{ each: { list: '{{ [] }}', task: { image: 'busybox' } } }] });
    const effects = reduce(
      { type: 'task.dispatch', job: empty, task: taskOf(empty, 0), context: CONTEXT },
      NOW,
    );
    expect(effects.map((effect) => effect.type)).toEqual(['updateTask', 'markJobRunning', 'settleTask']);

    const notList = running({ tasks: [{ each: { list: "{{ 'abc' }}", task: { image: 'busybox' } } }] });
    const [fail] = reduce(
      { type: 'task.dispatch', job: notList, task: taskOf(notList, 0), context: CONTEXT },
      NOW,
    );
    expect(fail).toMatchObject({
      type: 'updateTask',
      change: { patch: { state: 'FAILED', failure: { kind: 'rejected' } } },
    });
    expect(fail?.type === 'updateTask' ? fail.change.patch.error : '').toContain('must evaluate to a list');
  });

  it('creates the job a subjob task runs, with its evaluated inputs, and marks the task RUNNING', () => {
    const job = running({
      inputs: { x: '1' },
      tasks: [
        {
          subjob: {
            name: 'sub {{ inputs.x }}',
            inputs: { y: '{{ inputs.x }}2' },
            tasks: [{ image: 'busybox' }],
          },
        },
      ],
    });
    const task = taskOf(job, 0);
    const effects = reduce(
      { type: 'task.dispatch', job, task, context: { ...CONTEXT, inputs: { x: '1' } } },
      NOW,
    );
    const [createJob] = effectsOf(effects, 'createJob');
    expect(createJob?.job).toMatchObject({
      id: subjobIdOf(task.id),
      parentId: task.id,
      name: 'sub 1',
      inputs: { y: '12' },
    });
    expect(effectsOf(effects, 'updateTask')[0]?.change.patch).toMatchObject({
      state: 'RUNNING',
      subjobId: subjobIdOf(task.id),
    });
    expect(effectsOf(effects, 'settleTask')).toEqual([]);
  });

  it('completes a detached subjob task at once', () => {
    const job = running({ tasks: [{ subjob: { detached: true, tasks: [{ image: 'busybox' }] } }] });
    const effects = reduce({ type: 'task.dispatch', job, task: taskOf(job, 0), context: CONTEXT }, NOW);
    expect(effectsOf(effects, 'settleTask')).toHaveLength(1);
  });
});

describe('after a task settled', () => {
  const job = jobOf(
    { output: 'result: {{ tasks.last }}', tasks: [{ image: 'busybox' }, { image: 'busybox', var: 'last' }] },
    { state: 'RUNNING' },
  );

  it('creates the next top-level task and moves the job on', () => {
    const effects = reduce(
      { type: 'task.settled', job, task: taskOf(job, 0, { state: 'COMPLETED' }), context: CONTEXT },
      NOW,
    );
    expect(effectsOf(effects, 'updateJob')[0]?.change.patch).toEqual({ position: 2 });
    expect(created(effects)[0]).toMatchObject({ index: 1, state: 'PENDING' });
  });

  it('completes the job with its output evaluated over the context once the last task is done', () => {
    const effects = reduce(
      {
        type: 'task.settled',
        job,
        task: taskOf(job, 1, { state: 'COMPLETED', result: '42' }),
        context: { ...CONTEXT, tasks: { last: '42' } },
      },
      NOW,
    );
    expect(effectsOf(effects, 'updateJob')[0]?.change.patch).toMatchObject({
      state: 'COMPLETED',
      result: 'result: 42',
    });
    // A top-level job that completes has nothing left to stop: job.ended follows only a missed change.
    expect(effects.at(-1)).toMatchObject({
      type: 'updateJob',
      onMiss: [{ type: 'then', event: { type: 'job.ended', jobId: job.id } }],
    });
    expect(effectsOf(effects, 'then')).toEqual([]);
  });

  it('starts a job still SCHEDULED (its task reported start and end at once): apart when it goes on, in its end when it ends', () => {
    const startedAt = '2026-01-01T00:00:00.250Z';
    const scheduled = { ...job, state: 'SCHEDULED' as const };
    const first = reduce(
      {
        type: 'task.settled',
        job: scheduled,
        task: taskOf(job, 0, { state: 'COMPLETED', startedAt }),
        context: CONTEXT,
      },
      NOW,
    );
    expect(effectsOf(first, 'updateJob').map((effect) => effect.change.patch)).toEqual([
      { state: 'RUNNING', startedAt },
      { position: 2 },
    ]);
    const last = reduce(
      {
        type: 'task.settled',
        job: scheduled,
        task: taskOf(job, 1, { state: 'COMPLETED', result: '42', startedAt }),
        context: { ...CONTEXT, tasks: { last: '42' } },
      },
      NOW,
    );
    // One change: the store records RUNNING at startedAt before COMPLETED.
    expect(effectsOf(last, 'updateJob').map((effect) => effect.change.patch)).toEqual([
      expect.objectContaining({ state: 'COMPLETED', startedAt, result: 'result: 42' }),
    ]);
    // A job that was RUNNING keeps its own start.
    const running = reduce(
      {
        type: 'task.settled',
        job,
        task: taskOf(job, 1, { state: 'COMPLETED', result: '42', startedAt }),
        context: { ...CONTEXT, tasks: { last: '42' } },
      },
      NOW,
    );
    expect(effectsOf(running, 'updateJob')[0]?.change.patch).not.toHaveProperty('startedAt');
  });

  it("ends a sub-job that completes with job.ended, which completes its parent's task", () => {
    const sub = { ...job, parentId: 'parent-task' };
    const effects = reduce(
      {
        type: 'task.settled',
        job: sub,
        task: taskOf(sub, 1, { state: 'COMPLETED', result: '42' }),
        context: { ...CONTEXT, tasks: { last: '42' } },
      },
      NOW,
    );
    expect(effectsOf(effects, 'updateJob')[0]?.onMiss).toBe('continue');
    expect(effects.at(-1)).toEqual({ type: 'then', event: { type: 'job.ended', jobId: job.id } });
  });

  it('completes the parent when the fan-in counted its last child, and waits otherwise', () => {
    const parent = taskOf(job, 0, { id: 'parent', kind: 'parallel', state: 'RUNNING', pendingChildren: 0 });
    const child = { ...taskOf(job, 0, { state: 'COMPLETED' }), parentId: 'parent' };
    const last = reduce({ type: 'child.settled', task: child, parent }, NOW);
    expect(last).toEqual([
      {
        type: 'settleTask',
        taskId: 'parent',
        jobId: job.id,
        change: expect.objectContaining({
          patch: expect.objectContaining({ state: 'COMPLETED' }) as unknown,
        }) as unknown,
      },
    ]);
    expect(
      reduce({ type: 'child.settled', task: child, parent: { ...parent, pendingChildren: 1 } }, NOW),
    ).toEqual([]);
  });

  it('hands on a promoted regular task without its job: scheduled, skipped when its `if` was false', () => {
    const promoted = { ...taskOf(job, 0, { state: 'PENDING' }), parentId: 'parent' };
    expect(dispatchPromoted(promoted, NOW)).toEqual([{ type: 'scheduleTask', taskId: promoted.id }]);
    expect(dispatchPromoted({ ...promoted, spec: { ...promoted.spec, if: 'false' } }, NOW)).toEqual([
      {
        type: 'settleTask',
        taskId: promoted.id,
        jobId: job.id,
        change: expect.objectContaining({
          patch: expect.objectContaining({ state: 'SKIPPED' }) as unknown,
        }) as unknown,
      },
    ]);
    // Cancelled while it waited (its job ended): nothing.
    expect(dispatchPromoted({ ...promoted, state: 'CANCELLED' }, NOW)).toEqual([]);
    expect(() => dispatchPromoted({ ...promoted, kind: 'parallel' }, NOW)).toThrow(RangeError);
  });
});

describe('after a task failed', () => {
  const job = jobOf(
    { tasks: [{ image: 'busybox', retry: { limit: 2, initialDelay: '1s', scalingFactor: 3 } }] },
    { state: 'RUNNING' },
  );

  it('retries with a growing delay while the retry limit allows, then fails the job with the error', () => {
    const first = taskOf(job, 0, { state: 'FAILED', error: 'exit code 1', retries: 0 });
    const [retry] = created(reduce({ type: 'task.failed', job, task: first }, NOW));
    expect(retry).toMatchObject({
      attempt: 2,
      retries: 1,
      state: 'PENDING',
      runAt: '2024-01-01T12:00:01.000Z',
    });

    const second = taskOf(job, 0, { state: 'FAILED', error: 'exit code 1', attempt: 2, retries: 1 });
    expect(created(reduce({ type: 'task.failed', job, task: second }, NOW))[0]?.runAt).toBe(
      '2024-01-01T12:00:03.000Z',
    );

    const last = taskOf(job, 0, { state: 'FAILED', error: 'exit code 1', attempt: 3, retries: 2 });
    const effects = reduce({ type: 'task.failed', job, task: last }, NOW);
    expect(effectsOf(effects, 'updateJob')[0]?.change.patch).toMatchObject({
      state: 'FAILED',
      error: 'exit code 1',
    });
  });

  it('never retries a rejected task, and reruns a task whose worker died at once', () => {
    const rejected = taskOf(job, 0, { state: 'FAILED', failure: { kind: 'rejected' }, error: 'bad' });
    expect(created(reduce({ type: 'task.failed', job, task: rejected }, NOW))).toEqual([]);

    const plain = jobOf({ tasks: [{ image: 'busybox' }] }, { state: 'RUNNING' });
    const lost = taskOf(plain, 0, {
      state: 'FAILED',
      failure: { kind: 'worker-lost' },
      error: 'worker gone',
    });
    expect(created(reduce({ type: 'task.failed', job: plain, task: lost }, NOW))[0]).toMatchObject({
      attempt: 2,
    });
  });

  it("hands a task back on its worker's runtime failure without spending its retries; the sixth time it fails for good", () => {
    const once = jobOf({ tasks: [{ image: 'busybox', retry: { limit: 1 } }] }, { state: 'RUNNING' });
    let task = taskOf(once, 0, {
      state: 'FAILED',
      failure: { kind: 'runtime' },
      error: 'engine unavailable',
    });
    for (let handBack = 1; handBack <= 5; handBack += 1) {
      const effects = reduce({ type: 'task.failed', job: once, task }, NOW);
      const [again] = created(effects);
      expect(again).toMatchObject({
        attempt: handBack + 1,
        retries: 0,
        handBacks: handBack,
        state: 'PENDING',
      });
      expect(again?.runAt).toBeUndefined();
      task = { ...again!, state: 'FAILED', failure: { kind: 'runtime' }, error: 'engine unavailable' };
    }
    const effects = reduce({ type: 'task.failed', job: once, task }, NOW);
    expect(created(effects)).toEqual([]);
    expect(effectsOf(effects, 'updateJob')[0]?.change.patch).toMatchObject({
      state: 'FAILED',
      error: 'engine unavailable',
    });
  });

  it('keeps the hand-backs a task had across its retries', () => {
    const plain = jobOf({ tasks: [{ image: 'busybox', retry: { limit: 2 } }] }, { state: 'RUNNING' });
    const failed = taskOf(plain, 0, {
      state: 'FAILED',
      failure: { kind: 'exit', exitCode: 1 },
      handBacks: 3,
      attempt: 4,
    });
    expect(created(reduce({ type: 'task.failed', job: plain, task: failed }, NOW))[0]).toMatchObject({
      attempt: 5,
      retries: 1,
      handBacks: 3,
    });
  });

  it("fails a child's parent with an error naming the child and carrying its error", () => {
    const plain = jobOf({ tasks: [{ image: 'busybox' }] }, { state: 'RUNNING' });
    const child: Task = {
      ...taskOf(plain, 0, { state: 'FAILED', error: 'exit code 3', failure: { kind: 'exit', exitCode: 3 } }),
      parentId: 'parent',
      spec: { name: 'sleep', image: 'busybox' },
    };
    const [failParent, next] = reduce({ type: 'task.failed', job: plain, task: child }, NOW);
    expect(failParent).toMatchObject({
      type: 'updateTask',
      taskId: 'parent',
      change: {
        patch: {
          state: 'FAILED',
          error: '"sleep" failed: exit code 3',
          failure: { kind: 'exit', exitCode: 3 },
        },
      },
    });
    expect(next).toEqual({ type: 'then', event: { type: 'task.failed', jobId: plain.id, taskId: 'parent' } });
  });
});

describe('a job that ended', () => {
  it('stops what still runs of a failed or cancelled job', () => {
    const job = jobOf({ tasks: [{ image: 'busybox' }] }, { state: 'FAILED' });
    expect(reduce({ type: 'job.ended', job }, NOW)).toEqual([{ type: 'cancelTasks', jobId: job.id }]);
  });

  it("completes a subjob's parent task with the subjob's result, or fails it", () => {
    const parentJob = jobOf({ tasks: [{ subjob: { tasks: [{ image: 'busybox' }] } }] }, { state: 'RUNNING' });
    const parentTask = taskOf(parentJob, 0, { state: 'RUNNING' });
    const sub = jobOf(
      { tasks: [{ image: 'busybox' }] },
      { state: 'COMPLETED', parentId: parentTask.id, result: 'data' },
    );
    expect(reduce({ type: 'job.ended', job: sub, parentTask }, NOW)).toEqual([
      {
        type: 'settleTask',
        taskId: parentTask.id,
        jobId: parentJob.id,
        change: expect.objectContaining({
          patch: expect.objectContaining({ state: 'COMPLETED', result: 'data' }) as unknown,
        }) as unknown,
      },
    ]);
    const failed = reduce(
      { type: 'job.ended', job: { ...sub, state: 'FAILED', error: 'exit code 1' }, parentTask },
      NOW,
    );
    expect(effectsOf(failed, 'updateTask')[0]?.change.patch).toMatchObject({
      state: 'FAILED',
      error: 'sub-job failed: exit code 1',
    });
  });
});

describe('restarting a job', () => {
  const job = jobOf(
    { tasks: [{ image: 'a' }, { parallel: { tasks: [{ image: 'b' }, { image: 'c' }] } }, { image: 'd' }] },
    { state: 'FAILED', error: 'boom' },
  );

  it('resumes at the first task not done: a failed regular task gets a fresh execution with its retries counted afresh', () => {
    const failedJob = jobOf(
      { tasks: [{ image: 'a' }, { image: 'b', retry: { limit: 1 } }] },
      { state: 'FAILED' },
    );
    const tasks = [
      taskOf(failedJob, 0, { state: 'COMPLETED' }),
      taskOf(failedJob, 1, { state: 'FAILED', attempt: 2, retries: 1 }),
    ];
    const effects = reduce({ type: 'job.restart', job: failedJob, tasks, context: CONTEXT }, NOW);
    expect(effectsOf(effects, 'updateJob')[0]?.change.patch).toMatchObject({
      state: 'RUNNING',
      position: 2,
      error: undefined,
    });
    expect(created(effects)[0]).toMatchObject({ index: 1, attempt: 3, retries: 0, state: 'PENDING' });
  });

  it('resumes a composite task in place, and reruns only its children that did not complete', () => {
    const parallel = taskOf(job, 1, { id: 'par', state: 'FAILED', startedAt: NOW, childCount: 2 });
    const tasks = [taskOf(job, 0, { state: 'COMPLETED' }), parallel];
    const effects = reduce({ type: 'job.restart', job, tasks, context: CONTEXT }, NOW);
    expect(effects.at(-1)).toEqual({
      type: 'then',
      event: { type: 'task.restart', jobId: job.id, taskId: 'par' },
    });

    const restarted = { ...parallel, state: 'RUNNING' as const };
    const children: Task[] = [
      { ...taskOf(job, 0, { state: 'COMPLETED' }), parentId: 'par', index: 0, spec: { image: 'b' } },
      { ...taskOf(job, 0, { state: 'CANCELLED' }), parentId: 'par', index: 1, spec: { image: 'c' } },
    ];
    const resumed = reduce(
      {
        type: 'task.restart',
        job: { ...job, state: 'RUNNING' },
        task: restarted,
        children,
        context: CONTEXT,
      },
      NOW,
    );
    expect(effectsOf(resumed, 'updateTask')[0]?.change.patch).toEqual({ pendingChildren: 1 });
    expect(created(resumed).map((task) => [task.index, task.attempt, task.spec.image])).toEqual([
      [1, 2, 'c'],
    ]);
  });

  it('stops first what the job\u2019s end has not stopped yet (a restart right after a cancel), then reruns it', () => {
    const cancelled = jobOf({ tasks: [{ image: 'a' }, { image: 'b' }] }, { state: 'CANCELLED' });
    const tasks = [
      taskOf(cancelled, 0, { state: 'COMPLETED' }),
      taskOf(cancelled, 1, { state: 'RUNNING', startedAt: NOW }),
    ];
    const effects = reduce({ type: 'job.restart', job: cancelled, tasks, context: CONTEXT }, NOW);
    expect(effects.slice(0, 2).map((effect) => effect.type)).toEqual(['cancelTasks', 'updateJob']);
    expect(created(effects)[0]).toMatchObject({ index: 1, attempt: 2, state: 'PENDING' });

    const settled = [
      taskOf(cancelled, 0, { state: 'COMPLETED' }),
      taskOf(cancelled, 1, { state: 'CANCELLED' }),
    ];
    const plain = reduce({ type: 'job.restart', job: cancelled, tasks: settled, context: CONTEXT }, NOW);
    expect(effectsOf(plain, 'cancelTasks')).toEqual([]);
  });

  it('does nothing for a job that is not FAILED or CANCELLED', () => {
    expect(
      reduce({ type: 'job.restart', job: { ...job, state: 'RUNNING' }, tasks: [], context: CONTEXT }, NOW),
    ).toEqual([]);
  });
});
