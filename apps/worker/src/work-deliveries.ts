import {
  errorMessage,
  inSpan,
  QUEUE,
  SpanKind,
  type Attributes,
  type Broker,
  type Delivery,
  type Logger,
  type Message,
  type TaskRun,
} from '@tork/domain';
import type { TaskExecution } from './task-execution.js';

export interface WorkDeliveriesDeps {
  readonly broker: Broker;
  readonly logger: Logger;
  readonly now: () => string;
  readonly nodeId: string;
  readonly execution: TaskExecution;
}

/** What arrives on the work queues: each task is run in its own span; a task the broker gave up on fails. */
export class WorkDeliveries {
  constructor(private readonly deps: WorkDeliveriesDeps) {}

  async handle(message: Message, delivery: Delivery): Promise<void> {
    if (message.type !== 'task.run') {
      this.deps.logger.warn(
        { type: message.type },
        'message of an unexpected type on a work queue; dropping it',
      );
      return;
    }
    const task = message.task;
    await inSpan(
      'worker run',
      SpanKind.CONSUMER,
      () => runAttributes(task, this.deps.nodeId),
      () => this.deps.execution.execute(task, delivery),
    );
  }

  /** The broker could not hand the task over: it fails with a stable reason. */
  async giveUp(message: Message, error: unknown): Promise<void> {
    if (message.type !== 'task.run') return;
    // Users see a stable reason; the broker's own words stay in this worker's log.
    this.deps.logger.error(
      { jobId: message.task.jobId, taskId: message.task.id, err: errorMessage(error) },
      'giving up on a task',
    );
    const reason = 'the worker could not start the task (its log has the details)';
    await this.deps.broker.publish(QUEUE.error, {
      type: 'task.failed',
      jobId: message.task.jobId,
      taskId: message.task.id,
      nodeId: this.deps.nodeId,
      error: reason,
      at: this.deps.now(),
    });
  }
}

/** What the span of a task's run is tagged with. */
function runAttributes(task: TaskRun, nodeId: string): Attributes {
  return {
    'messaging.destination.name': task.queue,
    'tork.job.id': task.jobId,
    'tork.task.id': task.id,
    'tork.task.attempt': task.attempt,
    'tork.node.id': nodeId,
    ...(task.spec.image === undefined ? {} : { 'tork.task.image': task.spec.image }),
  };
}
