import { errorMessage, type Logger } from '@tork/domain';

/**
 * Runs `pass` every `intervalMs`, and soon after `nudge()`; one pass at a time. A pass that fails is
 * logged and the next one tries again. `stop()` waits for the pass in flight.
 *
 * A nudge while idle runs a pass at once. Nudges during a pass run the next one `settleMs` after
 * it ends: under load, handlers nudge all the time, and each pass then takes what many of them
 * recorded instead of a few (a pass costs the same round trips whether it reads one event or 500).
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** The next pass is due `settleMs` after a busy one: nudges meanwhile wait for it. */
  private settling = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly logger: Logger,
    private readonly settleMs = 0,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Something to do: run a pass now (or right after the one in flight). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    if (this.settling) return;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number, settling = false): void {
    clearTimeout(this.timer);
    this.settling = settling;
    this.timer = setTimeout(() => {
      this.runPass();
    }, delayMs);
  }

  private runPass(): void {
    if (this.stopped || this.running !== undefined) return;
    this.again = false;
    this.settling = false;
    this.running = this.pass()
      .catch((error: unknown) => {
        this.logger.warn({ err: errorMessage(error) }, `${this.name} failed; trying again`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) this.schedule(this.settleMs, true);
        else this.schedule(this.intervalMs);
      });
  }
}
