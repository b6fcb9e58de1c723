import { REDACTED, toJobListItem, type Job, type Task } from '@tork/domain';
import { describe, expect, it } from 'vitest';
import { toJobSummary, toJobView, toSubmittedJob, toTaskView } from './views.js';

const job: Job = {
  id: 'a'.repeat(32),
  name: 'hello job',
  state: 'PENDING',
  tasks: [
    {
      name: 'say hello',
      image: 'ubuntu:mantic',
      run: 'echo -n hello world',
      env: { API_SECRET: 'xyz', GREETING: 'hi' },
    },
  ],
  position: 0,
  createdAt: '2024-01-01T00:00:00.000Z',
};

const task: Task = {
  id: 'b'.repeat(32),
  jobId: job.id,
  index: 0,
  kind: 'task',
  attempt: 1,
  retries: 0,
  state: 'COMPLETED',
  spec: job.tasks[0]!,
  queue: 'default',
  result: 'hello world xyz',
  createdAt: '2024-01-01T00:00:01.000Z',
  completedAt: '2024-01-01T00:00:02.000Z',
};

describe('views', () => {
  it("answer a submission in the seed's shape", () => {
    expect(toSubmittedJob(job)).toEqual({
      id: job.id,
      name: 'hello job',
      state: 'PENDING',
      createdAt: job.createdAt,
      tasks: [
        {
          name: 'say hello',
          image: 'ubuntu:mantic',
          run: 'echo -n hello world',
          env: { API_SECRET: REDACTED, GREETING: 'hi' },
        },
      ],
    });
  });

  it('summarize a job without a name and with nothing else set', () => {
    const unnamed: Job = {
      id: job.id,
      state: 'PENDING',
      tasks: job.tasks,
      position: 0,
      createdAt: job.createdAt,
    };

    expect(Object.keys(toJobSummary(toJobListItem(unnamed)))).toEqual([
      'id',
      'state',
      'createdAt',
      'position',
      'taskCount',
      'progress',
    ]);
  });

  it('list a job without its tasks, result or error, and with no secrets', () => {
    const failed: Job = {
      ...job,
      state: 'FAILED',
      secrets: { TOKEN: 'hunter2' },
      error: 'hunter2 failed',
      result: 'r',
    };

    const summary = toJobSummary(toJobListItem(failed));
    for (const field of ['tasks', 'error', 'result', 'secrets', 'inputs'])
      expect(summary).not.toHaveProperty(field);
    expect(JSON.stringify(summary)).not.toContain('hunter2');
  });

  it("show a job's progress: as its tasks reported it, at least its top-level tasks done, 100 once completed", () => {
    const three: Job = { ...job, tasks: [job.tasks[0]!, job.tasks[0]!, job.tasks[0]!] };
    expect(toJobSummary(toJobListItem({ ...three, state: 'PENDING', position: 0 })).progress).toBe(0);
    expect(
      toJobSummary(toJobListItem({ ...three, state: 'RUNNING', position: 2, progress: 50 })).progress,
    ).toBe(50);
    expect(toJobSummary(toJobListItem({ ...three, state: 'RUNNING', position: 3 })).progress).toBe(66.67);
    expect(
      toJobSummary(toJobListItem({ ...three, state: 'COMPLETED', position: 3, progress: 90 })).progress,
    ).toBe(100);
  });

  it('show a cancelled task with failure kind cancelled', () => {
    expect(toTaskView({ ...task, state: 'CANCELLED' }).failure).toEqual({ kind: 'cancelled' });
  });

  it("show a task's progress, failure kind and hand-backs", () => {
    const view = toTaskView({
      ...task,
      state: 'FAILED',
      progress: 40,
      handBacks: 2,
      failure: { kind: 'exit', exitCode: 3 },
    });
    expect(view).toMatchObject({ progress: 40, handBacks: 2, failure: { kind: 'exit', exitCode: 3 } });
  });

  it('flatten an execution with its spec, redacting secrets in env and output', () => {
    expect(toTaskView(task)).toEqual({
      id: task.id,
      jobId: job.id,
      position: 1,
      kind: 'task',
      attempt: 1,
      name: 'say hello',
      state: 'COMPLETED',
      image: 'ubuntu:mantic',
      run: 'echo -n hello world',
      env: { API_SECRET: REDACTED, GREETING: 'hi' },
      queue: 'default',
      result: `hello world ${REDACTED}`,
      createdAt: task.createdAt,
      completedAt: task.completedAt,
    });
  });

  it('show a job with its executions in order', () => {
    const view = toJobView(
      job,
      { tasks: [task, { ...task, id: 'c'.repeat(32), attempt: 2 }], childCounts: {} },
      {},
    );

    expect(view.execution.map((execution) => execution.attempt)).toEqual([1, 2]);
    expect(view.taskCount).toBe(1);
    expect(JSON.stringify(view)).not.toContain('xyz');
  });

  it("show a job's context: inputs, its vars with secrets masked, its secrets' names only", () => {
    const withSecrets: Job = { ...job, inputs: { who: 'world' }, secrets: { token: 's3cr3t-t0ken' } };
    const view = toJobView(withSecrets, { tasks: [], childCounts: {} }, { greeting: 'hi s3cr3t-t0ken' });

    expect(view.context).toEqual({
      inputs: { who: 'world' },
      secrets: { token: REDACTED },
      tasks: { greeting: `hi ${REDACTED}` },
    });
    expect(JSON.stringify(view)).not.toContain('s3cr3t-t0ken');
  });

  it('show a composite task with its counts by state, and a child with its parent and item', () => {
    const parent: Task = {
      ...task,
      kind: 'each',
      spec: { each: { list: '{{ [1] }}', task: { image: 'a' } } },
    };
    const child: Task = {
      ...task,
      id: 'd'.repeat(32),
      parentId: parent.id,
      index: 4,
      bindings: { item: { index: '4', value: 'five' } },
    };
    const view = toJobView(
      job,
      { tasks: [parent, child], childCounts: { [parent.id]: { COMPLETED: 5 } } },
      {},
    );

    expect(view.execution[0]).toMatchObject({ kind: 'each', childCounts: { COMPLETED: 5 } });
    expect(view.execution[1]).toMatchObject({
      parentId: parent.id,
      position: 5,
      item: { name: 'item', index: '4', value: 'five' },
    });
  });

  it('leave the job untouched', () => {
    toJobView(job, { tasks: [task], childCounts: {} }, {});

    expect(job.tasks[0]?.env?.['API_SECRET']).toBe('xyz');
  });
});
