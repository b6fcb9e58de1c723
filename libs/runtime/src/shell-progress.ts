import { openRegular } from './shell-output.js';

/** A progress file holds a number; more than this is not one. */
const MAX_PROGRESS_BYTES = 64;

/**
 * Polls a task's `$TORK_PROGRESS` file and reports its value (0-100) when it changes. Polling, not
 * watching: a task may rewrite the file in place or replace it, and a poll costs one small read.
 */
export class ProgressPoller {
  private last: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onProgress: (percent: number) => void,
    private readonly log: (msg: string) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      void this.poll();
    }, intervalMs);
  }

  /** Stops polling after one last read, so a value written just before the end is not lost. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
  }

  /** Polls one at a time: a slow read is not overtaken by the next. */
  poll(): Promise<void> {
    this.polling = this.polling.then(() => this.readOnce());
    return this.polling;
  }

  private async readOnce(): Promise<void> {
    let percent: number | undefined;
    try {
      percent = await readPercent(this.path);
    } catch (error) {
      this.log(`progress file unreadable: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (percent === undefined || percent === this.last) return;
    this.last = percent;
    try {
      this.onProgress(percent);
    } catch (error) {
      // A faulty listener must not break the run whose progress it watches.
      this.log(`onProgress listener failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** The percentage in the file, or undefined when it is absent or holds no number within 0-100. */
export async function readPercent(path: string): Promise<number | undefined> {
  const file = await openRegular(path);
  if (file === undefined) return undefined;
  try {
    const buffer = Buffer.alloc(MAX_PROGRESS_BYTES);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return parsePercent(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await file.close();
  }
}

export function parsePercent(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value <= 100 ? value : undefined;
}
