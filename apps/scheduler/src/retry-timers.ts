import { errorMessage, QUEUE, type Broker, type Logger, type Task } from '@tork/domain';

/** Node's timers hold at most 2^31-1 ms; a longer wait is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Publishes delayed retries to `pending` when their time comes. The delay lives in the
 * datastore (`runAt`), so a timer lost with its process is made good by the sweeper; the timer
 * only makes the common case punctual. Waiting occupies no worker slot and no consumer. A task
 * handed on early (a long wait) is handed back to its timer by the dispatch, which checks `runAt`.
 */
export class RetryTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  schedule(task: Task): void {
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(0, Date.parse(task.runAt ?? task.createdAt) - this.now()));
    const timer = setTimeout(() => {
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
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
