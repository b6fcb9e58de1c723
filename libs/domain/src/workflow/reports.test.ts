import { describe, expect, it } from 'vitest';
import { parseJobSpec } from '../job-spec/parse.js';
import type { Job } from '../job.js';
import { workerQueue } from '../queues.js';
import type { Task } from '../task.js';
import { newExecution, newJob } from './executions.js';
import {
  checkStart,
  DEADLINE_GRACE_MS,
  onDeadlinePassed,
  onTaskCompleted,
  onTaskFailed,
  onTaskStarted,
  onWorkerLost,
  startCheckNeedsJob,
} from './reports.js';

const NOW = '2024-01-01T12:00:00.000Z';
const job: Job = newJob(parseJobSpec({ tasks: [{ image: 'busybox', run: 'true', timeout: '1m' }] }), NOW);
const spec = job.tasks[0];
if (spec === undefined) throw new Error('no task');
const task: Task = newExecution({
  job,
  index: 0,
  spec,
  context: { inputs: {}, secrets: {}, tasks: {} },
  now: NOW,
});

describe("workers' reports", () => {
  it('starts the task, with a deadline past its timeout, then the job; a task that did not start is checked', () => {
    const effects = onTaskStarted(
      { type: 'task.started', jobId: job.id, taskId: task.id, nodeId: 'n1', timeout: '1m', at: NOW },
      NOW,
    );
    const deadline = new Date(Date.parse(NOW) + 60_000 + DEADLINE_GRACE_MS).toISOString();
    expect(effects).toEqual([
      {
        type: 'updateTask',
        taskId: task.id,
        change: expect.objectContaining({
          from: ['PENDING', 'SCHEDULED'],
          patch: expect.objectContaining({ state: 'RUNNING', nodeId: 'n1', deadlineAt: deadline }) as unknown,
        }) as unknown,
        onMiss: [
          { type: 'then', event: { type: 'task.checkStart', jobId: job.id, taskId: task.id, nodeId: 'n1' } },
        ],
      },
      // A job already RUNNING is the common case (every task but its first): no reads follow.
      {
        type: 'markJobRunning',
        jobId: job.id,
        change: { from: ['PENDING', 'SCHEDULED'], at: NOW, patch: { state: 'RUNNING', startedAt: NOW } },
      },
    ]);
  });

  it('stops a task that runs where it should not: its job ended, or another node has it', () => {
    const running = { ...task, state: 'RUNNING' as const, nodeId: 'n1' };
    expect(checkStart({ ...job, state: 'RUNNING' }, running, 'n1', NOW)).toEqual([]);
    expect(checkStart({ ...job, state: 'CANCELLED' }, running, 'n1', NOW)).toEqual([
      {
        type: 'updateTask',
        taskId: task.id,
        change: expect.objectContaining({ patch: { state: 'CANCELLED', cancelledAt: NOW } }) as unknown,
      },
      { type: 'publish', queue: workerQueue('n1'), message: { type: 'task.cancel', taskId: task.id } },
    ]);
    expect(checkStart({ ...job, state: 'RUNNING' }, running, 'n2', NOW)).toEqual([
      { type: 'publish', queue: workerQueue('n2'), message: { type: 'task.cancel', taskId: task.id } },
    ]);
    expect(startCheckNeedsJob(running, 'n1')).toBe(true);
    expect(startCheckNeedsJob(running, 'n2')).toBe(false);
  });

  it('does nothing when the task ended on the node before its start was handled (a quick task)', () => {
    const completed = { ...task, state: 'COMPLETED' as const, nodeId: 'n1' };
    expect(startCheckNeedsJob(completed, 'n1')).toBe(false);
    expect(checkStart(undefined, completed, 'n1', NOW)).toEqual([]);
    expect(checkStart(undefined, { ...completed, state: 'FAILED' }, 'n1', NOW)).toEqual([]);
    // Ended elsewhere, or cancelled: this node's run is stopped.
    expect(checkStart(undefined, completed, 'n2', NOW)).toEqual([
      { type: 'publish', queue: workerQueue('n2'), message: { type: 'task.cancel', taskId: task.id } },
    ]);
    expect(checkStart(undefined, { ...task, state: 'CANCELLED' }, 'n1', NOW)).toEqual([
      { type: 'publish', queue: workerQueue('n1'), message: { type: 'task.cancel', taskId: task.id } },
    ]);
  });

  it('settles a completed task with its result', () => {
    const [settle] = onTaskCompleted(
      { type: 'task.completed', jobId: job.id, taskId: task.id, nodeId: 'n1', result: 'hi', at: NOW },
      NOW,
    );
    expect(settle).toMatchObject({
      type: 'settleTask',
      taskId: task.id,
      change: { patch: { state: 'COMPLETED', result: 'hi' } },
    });
  });

  it('starts the job first when a short task reports its failure with its start, and marks the end as including it', () => {
    const startedAt = '2026-01-01T00:00:00.500Z';
    const ids = { jobId: job.id, taskId: task.id, nodeId: 'n1', startedAt, includesStart: true as const };
    const completed = onTaskCompleted({ type: 'task.completed', ...ids, result: 'hi', at: NOW }, NOW);
    // A completion's job starts once it is read, with its end when it ends there (afterTaskSettled).
    expect(completed).toMatchObject([
      { type: 'settleTask', taskId: task.id, includesStart: true, change: { patch: { startedAt } } },
    ]);
    expect(completed).toHaveLength(1);
    const failed = onTaskFailed({ type: 'task.failed', ...ids, error: 'exit code 1', at: NOW }, NOW);
    expect(failed.map((effect) => effect.type)).toEqual(['markJobRunning', 'updateTask', 'then']);
    expect(failed[1]).toMatchObject({
      includesStart: true,
      change: { patch: { state: 'FAILED', startedAt } },
    });
    // A report after a task.started of its own changes the task alone.
    const alone = onTaskCompleted(
      {
        type: 'task.completed',
        jobId: job.id,
        taskId: task.id,
        nodeId: 'n1',
        startedAt,
        result: '',
        at: NOW,
      },
      NOW,
    );
    expect(alone.map((effect) => effect.type)).toEqual(['settleTask']);
    expect(alone[0]).not.toHaveProperty('includesStart');
  });

  it("fails a task, as the worker's failure kind says; a lost worker's task is a worker-lost failure", () => {
    const base = {
      type: 'task.failed' as const,
      jobId: job.id,
      taskId: task.id,
      nodeId: 'n1',
      error: 'exit code 2',
      at: NOW,
    };
    expect(onTaskFailed({ ...base, failure: { kind: 'exit', exitCode: 2 } }, NOW)[0]).toMatchObject({
      change: { patch: { state: 'FAILED', error: 'exit code 2', failure: { kind: 'exit', exitCode: 2 } } },
      onMiss: 'continue',
    });
    expect(onTaskFailed({ ...base, workerLost: true }, NOW)[0]).toMatchObject({
      change: { patch: { failure: { kind: 'worker-lost' } } },
    });
  });

  it('fails a task no worker had (its queue was purged) without recording a node', () => {
    const purged = { type: 'task.failed' as const, jobId: job.id, taskId: task.id, error: 'purged', at: NOW };
    const [update] = onTaskFailed(purged, NOW);
    expect(update).toMatchObject({ change: { patch: { state: 'FAILED', error: 'purged' } } });
    expect(update?.type === 'updateTask' && 'nodeId' in update.change.patch).toBe(false);
  });

  it("fails a task past its deadline as a timeout and stops it on its node; a lost worker's task is failed to run again", () => {
    const running = { ...task, state: 'RUNNING' as const, nodeId: 'n1' };
    expect(onDeadlinePassed(running, NOW)).toEqual([
      {
        type: 'updateTask',
        taskId: task.id,
        change: expect.objectContaining({
          patch: expect.objectContaining({
            error: 'timed out after 1m (its worker did not report back)',
            failure: { kind: 'timeout' },
          }) as unknown,
        }) as unknown,
      },
      { type: 'publish', queue: workerQueue('n1'), message: { type: 'task.cancel', taskId: task.id } },
      { type: 'then', event: { type: 'task.failed', jobId: job.id, taskId: task.id } },
    ]);
    expect(onWorkerLost(running, undefined, NOW)[0]).toMatchObject({
      change: {
        patch: {
          error: 'worker n1 stopped responding (last heartbeat never)',
          failure: { kind: 'worker-lost' },
        },
      },
    });
  });
});
