import { errorMessage, type Broker, type Logger, type Message } from '@tork/domain';

/** Publishes what became of tasks in the background, keeping track so a stop can wait for them. */
export class OutcomeReports {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  send(queue: string, message: Message): void {
    // Reports of many tasks at the same moment travel together (the scheduler's handlers are idempotent).
    const sent = this.broker
      .publish(queue, message, { coalesce: true })
      .then(() => {
        this.logger.info(
          {
            jobId: 'jobId' in message ? message.jobId : undefined,
            taskId: 'taskId' in message ? message.taskId : undefined,
            type: message.type,
          },
          'task reported',
        );
      })
      .catch((error: unknown) => {
        // After the broker's own outage wait: the task stays RUNNING until its deadline, if it has one.
        this.logger.error(
          { type: message.type, err: errorMessage(error) },
          'could not report a task outcome',
        );
      })
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Resolves once every report sent so far has been published or given up on. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
