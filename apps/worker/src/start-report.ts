/** How long a task runs before its start is reported on its own (the default of `startReportDelayMs`). */
export const START_REPORT_DELAY_MS = 100;

/**
 * A task's start, reported only once the task has run for a while: a task that ends sooner reports
 * its start with its end (`includesStart`), one message, one delivery and one statement fewer on the
 * engine's busiest path. Until its start is reported the task's delivery stays unacknowledged, so a
 * worker that dies meanwhile has it delivered again, as before a start is durable.
 */
export class StartReport {
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  /** @param send publishes the start and acknowledges the delivery; it handles its own failures. */
  constructor(send: () => Promise<void>, delayMs: number) {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sending = send();
    }, delayMs);
  }

  /**
   * The task ended: answers whether its start went out on its own (waiting for that send), or,
   * when it had not yet, that it never will (the end report carries it).
   */
  async ended(): Promise<boolean> {
    if (this.timer !== undefined) {
      this.cancel();
      return false;
    }
    await this.sending;
    return true;
  }

  /** The start is not to be reported (the task is handed back, or never ran). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
