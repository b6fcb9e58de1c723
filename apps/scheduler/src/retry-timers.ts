import {
  errorMessage,
  QUEUE,
  setLongTimeout,
  type Broker,
  type LongTimeout,
  type Logger,
  type Task,
} from '@tork/domain';

/**
 * Publishes delayed retries to `pending` when their time comes. The delay lives in the
 * datastore (`runAt`), so a timer lost with its process is made good by the sweeper; the timer
 * only makes the common case punctual. Waiting occupies no worker slot and no consumer.
 */
export class RetryTimers {
  private readonly timers = new Set<LongTimeout>();

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  schedule(task: Task): void {
    const delayMs = Math.max(0, Date.parse(task.runAt ?? task.createdAt) - Date.now());
    // A long timer: a plain one fires a wait past 24.8 days at once.
    const timer = setLongTimeout(() => {
      this.timers.delete(timer);
      this.broker
        .publish(QUEUE.pending, { type: 'task.pending', jobId: task.jobId, taskId: task.id })
        .catch((error: unknown) => {
          // The sweeper publishes it later: runAt is in the datastore.
          this.logger.warn(
            { taskId: task.id, err: errorMessage(error) },
            'could not publish a due retry; the sweeper will',
          );
        });
    }, delayMs);
    this.timers.add(timer);
  }

  stop(): void {
    for (const timer of this.timers) timer.clear();
    this.timers.clear();
  }
}
