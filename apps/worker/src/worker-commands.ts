import { inSpan, messageAttributes, SpanKind, type Logger, type Message } from '@tork/domain';
import type { DeadWorkerCleanup } from './dead-worker-cleanup.js';
import type { RunningTasks } from './running-tasks.js';

export interface WorkerCommandsDeps {
  /** This worker's own queue (`x-<nodeId>`), where the commands arrive. */
  readonly queue: string;
  readonly running: RunningTasks;
  readonly cleanup: DeadWorkerCleanup;
  readonly logger: Logger;
}

/** Carries out what the scheduler tells this worker on its own queue: cancel a task, clean up after a dead worker. */
export class WorkerCommands {
  constructor(private readonly deps: WorkerCommandsDeps) {}

  handle(message: Message): Promise<void> {
    return inSpan(
      `worker ${message.type}`,
      SpanKind.CONSUMER,
      () => messageAttributes(this.deps.queue, message),
      () => this.carryOut(message),
    );
  }

  private async carryOut(message: Message): Promise<void> {
    switch (message.type) {
      case 'task.cancel':
        this.deps.running.cancel(message.taskId);
        return;
      case 'node.lost':
        await this.deps.cleanup.nodeLost(message.nodeId);
        return;
      default:
        this.deps.logger.warn(
          { type: message.type },
          'message of an unexpected type on the worker queue; dropping it',
        );
    }
  }
}
