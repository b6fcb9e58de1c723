import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, type Logger, type Runtime } from '@tork/domain';

/** While its runtime is down, a worker asks it this often whether it is back. */
export const RUNTIME_POLL_INTERVAL_MS = 3000;

export interface RuntimeRecoveryDeps {
  readonly runtime: Pick<Runtime, 'healthCheck'>;
  readonly logger: Logger;
  /** Closes the work subscriptions, resolving once their handlers are done. */
  readonly closeWork: () => Promise<void>;
  /** Subscribes to the work queues again. */
  readonly resumeWork: () => Promise<void>;
  readonly pollIntervalMs?: number;
}

/**
 * While the runtime is down (not the tasks' fault) the worker takes no tasks: it closes its work
 * subscriptions, asks the runtime until it answers, then subscribes again.
 */
export class RuntimeRecovery {
  private reason: string | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  private recovering: Promise<void> | undefined;

  constructor(private readonly deps: RuntimeRecoveryDeps) {}

  /** Why the worker takes no tasks now; undefined while it takes them. */
  get unavailable(): string | undefined {
    return this.reason;
  }

  /** Rejects while the worker takes no tasks because its runtime is down: for the health endpoint. */
  healthCheck(): Promise<void> {
    return this.reason === undefined
      ? Promise.resolve()
      : Promise.reject(new Error(`runtime unavailable: ${this.reason}`));
  }

  /**
   * Takes no tasks until the runtime answers again. Called from a task's handler, so the work
   * subscriptions' close (which waits for that handler) is not awaited.
   */
  pause(reason: string): void {
    if (this.reason !== undefined || this.stopped) return;
    this.reason = reason;
    this.deps.logger.warn({ err: reason }, 'runtime unavailable: taking no tasks until it answers again');
    const closing = this.deps.closeWork();
    this.recovering = Promise.all([closing, this.waitForRuntime()])
      .then(async () => {
        this.reason = undefined;
        if (this.stopped) return;
        await this.deps.resumeWork();
        this.deps.logger.info({}, 'runtime available again: taking tasks');
      })
      .catch((error: unknown) => {
        if (this.stopping.signal.aborted) return;
        // Unhealthy for good: the health endpoint says so, and an orchestrator restarts the worker.
        this.reason = `could not take tasks again: ${errorMessage(error)}`;
        this.deps.logger.error({ err: errorMessage(error) }, 'could not resume taking tasks');
      })
      .finally(() => {
        this.recovering = undefined;
      });
  }

  /** Stops asking the runtime and never resumes; a resume already under way may still finish. */
  stop(): void {
    this.stopped = true;
    this.stopping.abort();
  }

  /** Resolves once a resume under way, if any, has ended. */
  async settled(): Promise<void> {
    await this.recovering;
  }

  private async waitForRuntime(): Promise<void> {
    for (;;) {
      await sleep(this.deps.pollIntervalMs ?? RUNTIME_POLL_INTERVAL_MS, undefined, {
        signal: this.stopping.signal,
      });
      try {
        await this.deps.runtime.healthCheck();
        return;
      } catch (error) {
        this.reason = errorMessage(error);
      }
    }
  }
}
