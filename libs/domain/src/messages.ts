import type { NodeInfo } from './node.js';
import type { StepReport, TaskLogEntry, TaskRun } from './task.js';

/**
 * The message catalog: what travels on each queue. Every message is JSON with a `type`.
 *
 * | queue         | producer          | consumer  | messages                      |
 * |---------------|-------------------|-----------|-------------------------------|
 * | jobs          | api               | scheduler | job.submitted, job.cancel     |
 * | pending       | scheduler         | scheduler | task.pending                  |
 * | <task queue>  | scheduler         | worker    | task.run                      |
 * | started       | worker            | scheduler | task.started                  |
 * | completed     | worker            | scheduler | task.completed                |
 * | error         | worker            | scheduler | task.failed                   |
 * | heartbeat     | worker            | scheduler | node.heartbeat                |
 * | logs          | worker            | scheduler | task.log                      |
 * | x-<worker id> | scheduler         | worker    | task.cancel, node.lost        |
 */

export interface JobSubmitted {
  readonly type: 'job.submitted';
  readonly jobId: string;
}

export interface JobCancel {
  readonly type: 'job.cancel';
  readonly jobId: string;
}

export interface TaskPending {
  readonly type: 'task.pending';
  readonly jobId: string;
  readonly taskId: string;
}

export interface TaskRunMessage {
  readonly type: 'task.run';
  readonly task: TaskRun;
}

export interface TaskStarted {
  readonly type: 'task.started';
  readonly jobId: string;
  readonly taskId: string;
  readonly nodeId: string;
  /** The task's `timeout`, from which the scheduler keeps a deadline of its own. */
  readonly timeout?: string;
  readonly at: string;
}

export interface TaskCompleted {
  readonly type: 'task.completed';
  readonly jobId: string;
  readonly taskId: string;
  readonly nodeId: string;
  readonly result: string;
  readonly steps?: readonly StepReport[];
  /** When the task started: a completion may overtake its start message. */
  readonly startedAt?: string;
  readonly at: string;
}

export interface TaskFailed {
  readonly type: 'task.failed';
  readonly jobId: string;
  readonly taskId: string;
  readonly nodeId: string;
  readonly error: string;
  /** The worker stopped (shut down or died), not the task: the task runs again elsewhere. */
  readonly workerLost?: boolean;
  readonly steps?: readonly StepReport[];
  /** When the task started: a completion may overtake its start message. */
  readonly startedAt?: string;
  readonly at: string;
}

export interface NodeHeartbeat {
  readonly type: 'node.heartbeat';
  readonly node: NodeInfo;
}

export interface TaskLog {
  readonly type: 'task.log';
  readonly jobId: string;
  readonly taskId: string;
  readonly entries: readonly TaskLogEntry[];
}

export interface TaskCancel {
  readonly type: 'task.cancel';
  readonly taskId: string;
}

/** Tells a live worker that another one died, so it removes any container the dead one left running. */
export interface NodeLost {
  readonly type: 'node.lost';
  readonly nodeId: string;
}

export type JobsMessage = JobSubmitted | JobCancel;
export type WorkerMessage = TaskStarted | TaskCompleted | TaskFailed;
export type Message =
  | JobsMessage
  | TaskPending
  | TaskRunMessage
  | WorkerMessage
  | NodeHeartbeat
  | TaskLog
  | TaskCancel
  | NodeLost;
export type MessageType = Message['type'];
