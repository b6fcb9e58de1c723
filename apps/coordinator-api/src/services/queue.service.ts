import {
  isReservedQueue,
  QUEUE,
  TorkError,
  type Broker,
  type Datastore,
  type Principal,
  type QueueInfo,
} from '@tork/domain';
import { requireAdmin } from './access.js';

export interface QueueServiceDeps {
  readonly broker: Broker;
  readonly datastore: Datastore;
  /** ISO 8601 now; tests pass a fixed clock. */
  readonly now?: () => string;
}

export interface PurgeOutcome {
  readonly name: string;
  /** Messages dropped from the queue. */
  readonly purged: number;
  /** Tasks failed because their message was among them. */
  readonly failedTasks: readonly string[];
}

/** The broker's queues as an operator sees them; purging a work queue fails the tasks that waited in it. */
export class QueueService {
  private readonly now: () => string;

  constructor(private readonly deps: QueueServiceDeps) {
    this.now = deps.now ?? (() => new Date().toISOString());
  }

  list(): Promise<QueueInfo[]> {
    return this.deps.broker.queues();
  }

  async get(name: string): Promise<QueueInfo> {
    const info = await this.deps.broker.queue(name);
    if (info === undefined) throw TorkError.notFound('queue', name);
    return info;
  }

  /**
   * Admins only, work queues only. The failures go through the scheduler's `error` queue as a
   * worker's would, so a task with `retry` left runs again and otherwise its job fails.
   */
  async purge(principal: Principal, name: string): Promise<PurgeOutcome> {
    requireAdmin(principal);
    if (isReservedQueue(name))
      throw new TorkError(
        'INVALID_INPUT',
        `the queue ${name} is the engine's own: only work queues can be purged`,
      );
    const purged = await this.deps.broker.purgeQueue(name);
    if (purged === undefined) throw TorkError.notFound('queue', name);
    const error = `the queue ${name} was purged by ${principal.name}`;
    const failedTasks: string[] = [];
    for (const taskId of purged.taskIds) {
      const task = await this.deps.datastore.tasks.get(taskId);
      // A message of a task that ended or was cancelled meanwhile has nothing left to fail.
      if (task?.state !== 'SCHEDULED') continue;
      await this.deps.broker.publish(QUEUE.error, {
        type: 'task.failed',
        jobId: task.jobId,
        taskId,
        error,
        at: this.now(),
      });
      failedTasks.push(taskId);
    }
    return { name, purged: purged.count, failedTasks };
  }
}
