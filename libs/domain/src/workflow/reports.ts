import { formatDuration, parseDuration } from '../duration.js';
import { addToTime } from '../long-timeout.js';
import { isJobActive, type Job } from '../job.js';
import type { TaskCompleted, TaskFailed, TaskStarted } from '../messages.js';
import { workerQueue } from '../queues.js';
import { isTaskActive, type Task } from '../task.js';
import { jobChange, taskChange } from '../transitions.js';
import type { Effect } from './effects.js';

/**
 * What the reports of workers (started, completed, failed) and the scheduler's own sweeps
 * (deadlines, dead workers) change. Times are the scheduler's: a worker's clock may be off.
 */

/** The worker enforces a timeout itself; the scheduler steps in this much later, if the worker died. */
export const DEADLINE_GRACE_MS = 10_000;

export function onTaskStarted(message: TaskStarted, now: string): Effect[] {
  const timeoutMs = message.timeout === undefined ? undefined : parseDuration(message.timeout);
  // addToTime never throws: a timeout too large for a date leaves the task without a deadline.
  const deadline = timeoutMs === undefined ? undefined : addToTime(now, timeoutMs + DEADLINE_GRACE_MS);
  const deadlineAt = deadline === undefined ? {} : { deadlineAt: deadline };
  const check: Effect[] = [
    {
      type: 'then',
      event: {
        type: 'task.checkStart',
        jobId: message.jobId,
        taskId: message.taskId,
        nodeId: message.nodeId,
      },
    },
  ];
  return [
    {
      type: 'updateTask',
      taskId: message.taskId,
      change: taskChange('start', message.at, { nodeId: message.nodeId, ...deadlineAt }),
      onMiss: check,
    },
    // Runs only when the task's start applied. Should the job have ended instead, whatever ended it
    // cancels its active tasks after its own compare-and-set, and so sees this one RUNNING on its
    // node and stops it there.
    { type: 'markJobRunning', jobId: message.jobId, change: jobChange('start', message.at) },
  ];
}

/**
 * A start that did not apply: a task that runs where it should not (its job ended, it was
 * cancelled, another worker has it) is stopped there. Most often the task's end overtook its start
 * and nothing runs: then there is nothing to do. The job matters only for a task running on the
 * node (see {@link startCheckNeedsJob}).
 */
export function checkStart(
  job: Job | undefined,
  task: Task | undefined,
  nodeId: string,
  now: string,
): Effect[] {
  if (task !== undefined && endedOn(task, nodeId)) return [];
  const runsHere = task?.state === 'RUNNING' && task.nodeId === nodeId;
  if (task !== undefined && runsHere && job !== undefined && isJobActive(job.state)) return [];
  const effects: Effect[] = [];
  if (task !== undefined && runsHere && isTaskActive(task.state))
    effects.push({ type: 'updateTask', taskId: task.id, change: taskChange('cancel', now) });
  const taskId = task?.id;
  if (taskId !== undefined)
    effects.push({ type: 'publish', queue: workerQueue(nodeId), message: { type: 'task.cancel', taskId } });
  return effects;
}

export function onTaskCompleted(message: TaskCompleted, now: string): Effect[] {
  // A start that came with the end starts the job once the job is read (see afterTaskSettled).
  return [
    {
      type: 'settleTask',
      taskId: message.taskId,
      jobId: message.jobId,
      change: taskChange('complete', now, {
        result: message.result,
        nodeId: message.nodeId,
        ...(message.steps === undefined ? {} : { steps: message.steps }),
        ...(message.startedAt === undefined ? {} : { startedAt: message.startedAt }),
      }),
      ...includesStart(message),
    },
  ];
}

export function onTaskFailed(message: TaskFailed, now: string): Effect[] {
  const failure =
    message.failure ?? (message.workerLost === true ? { kind: 'worker-lost' as const } : undefined);
  return [
    ...startWithEnd(message),
    {
      type: 'updateTask',
      taskId: message.taskId,
      change: taskChange('fail', now, {
        error: message.error,
        ...(message.nodeId === undefined ? {} : { nodeId: message.nodeId }),
        ...(failure === undefined ? {} : { failure }),
        ...(message.steps === undefined ? {} : { steps: message.steps }),
        ...(message.startedAt === undefined ? {} : { startedAt: message.startedAt }),
      }),
      // A redelivered failure finishes what the first delivery began.
      onMiss: 'continue',
      ...includesStart(message),
    },
    { type: 'then', event: { type: 'task.failed', jobId: message.jobId, taskId: message.taskId } },
  ];
}

/**
 * A short task that failed reports its start with its end (`includesStart`): its job starts here,
 * as on a `task.started`, before the failure is applied. The task's own RUNNING is recorded by the
 * datastore with its end.
 */
function startWithEnd(message: TaskFailed): Effect[] {
  if (message.includesStart !== true || message.startedAt === undefined) return [];
  return [{ type: 'markJobRunning', jobId: message.jobId, change: jobChange('start', message.startedAt) }];
}

function includesStart(message: TaskCompleted | TaskFailed): { includesStart?: true } {
  return message.includesStart === true && message.startedAt !== undefined ? { includesStart: true } : {};
}

/** Whether {@link checkStart} reads the job for this task: only when it runs on the node. */
export function startCheckNeedsJob(task: Task | undefined, nodeId: string): boolean {
  return task?.state === 'RUNNING' && task.nodeId === nodeId;
}

/** The node ran the task and reported how it ended: nothing of it runs there any more. */
function endedOn(task: Task, nodeId: string): boolean {
  return (task.state === 'COMPLETED' || task.state === 'FAILED') && task.nodeId === nodeId;
}

/** A RUNNING task past its deadline: its worker died or hung. It fails as a timeout and is stopped. */
export function onDeadlinePassed(task: Task, now: string): Effect[] {
  const timeoutMs = task.spec.timeout === undefined ? undefined : parseDuration(task.spec.timeout);
  const error = `timed out after ${timeoutMs === undefined ? 'its deadline' : formatDuration(timeoutMs)} (its worker did not report back)`;
  return [
    {
      type: 'updateTask',
      taskId: task.id,
      change: taskChange('fail', now, { error, failure: { kind: 'timeout' } }),
    },
    ...(task.nodeId === undefined
      ? []
      : [
          {
            type: 'publish',
            queue: workerQueue(task.nodeId),
            message: { type: 'task.cancel', taskId: task.id },
          } as const,
        ]),
    { type: 'then', event: { type: 'task.failed', jobId: task.jobId, taskId: task.id } },
  ];
}

/** A RUNNING task whose worker stopped sending heartbeats: it runs again elsewhere. */
export function onWorkerLost(task: Task, lastHeartbeatAt: string | undefined, now: string): Effect[] {
  const error = `worker ${task.nodeId ?? '?'} stopped responding (last heartbeat ${lastHeartbeatAt ?? 'never'})`;
  return [
    {
      type: 'updateTask',
      taskId: task.id,
      change: taskChange('fail', now, { error, failure: { kind: 'worker-lost' } }),
    },
    { type: 'then', event: { type: 'task.failed', jobId: task.jobId, taskId: task.id } },
  ];
}
