/** A task's progress is sent at most this often: a task may write its progress file in a loop. */
export const PROGRESS_INTERVAL_MS = 1000;

/**
 * Coalesces one task's progress values: the first is sent at once, later ones at most once per
 * interval, the latest winning; an unchanged value is not sent again.
 */
export class ProgressReporter {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastSent: number | undefined;
  private latest: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (percent: number) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  update(percent: number): void {
    if (!Number.isFinite(percent)) return;
    this.latest = Math.min(100, Math.max(0, percent));
    if (this.timer !== undefined) return;
    const dueIn = this.lastSentAt + this.intervalMs - this.clock();
    if (dueIn <= 0) this.flush();
    else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, dueIn);
      this.timer.unref();
    }
  }

  /** The task ended: nothing more is sent. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
  }

  private flush(): void {
    const value = this.latest;
    if (value === undefined || value === this.lastSent) return;
    this.lastSent = value;
    this.lastSentAt = this.clock();
    this.send(value);
  }
}
