import type { Container } from 'dockerode';
import type { Logger } from '@tork/domain';
import { PROGRESS_PATH } from './container-spec.js';
import { engineMessage, isRecord, statusCodeOf } from './engine-errors.js';
import { readFirstFile } from './files.js';

/** Under the port's "at least every second", with room for a slow engine answer. */
export const PROGRESS_INTERVAL_MS = 500;
/** A progress file holds a number; anything longer is junk. */
const MAX_PROGRESS_BYTES = 64;

/** The percentage a progress file holds: a number (decimals allowed) clamped to 0-100; junk: undefined. */
export function parseProgress(text: string): number | undefined {
  const trimmed = text.trim().replace(/%$/, '');
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Math.min(100, Math.max(0, value));
}

/**
 * Reads $TORK_PROGRESS of a running container every {@link PROGRESS_INTERVAL_MS} and calls
 * onProgress when the value changes, until stopped. Each tick is a HEAD on the archive endpoint
 * (about a millisecond of the engine's time); the file itself is fetched only when its stat changed,
 * as a `cat` by exec costs as much as a fetch on every tick.
 */
export class ProgressWatcher {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastStat: string | undefined;
  private lastValue: number | undefined;
  private ticking: Promise<void> = Promise.resolve();
  /** Cuts a read in flight at stop, so a stalled engine cannot hold the run's end. */
  private readonly reads = new AbortController();

  constructor(
    private readonly container: Container,
    private readonly onProgress: (percent: number) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Stops reading; a read in flight finishes first, so no call reaches onProgress afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.reads.abort();
    await this.ticking;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.schedule();
      });
    }, PROGRESS_INTERVAL_MS);
  }

  private async tick(): Promise<void> {
    try {
      const text = await this.readIfChanged();
      if (text === undefined || this.stopped) return;
      const value = parseProgress(text);
      if (value === undefined || value === this.lastValue) return;
      this.lastValue = value;
      this.onProgress(value);
    } catch (error) {
      // Progress is a courtesy: a failed read never fails the task; the next tick tries again.
      if (!this.stopped) this.logger.debug({ error: engineMessage(error) }, 'reading $TORK_PROGRESS failed');
    }
  }

  private async readIfChanged(): Promise<string | undefined> {
    let stat: string | undefined;
    try {
      const response: unknown = await this.container.infoArchive({
        path: PROGRESS_PATH,
        abortSignal: this.reads.signal,
      });
      stat = statHeader(response);
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined; // not written yet
      throw error;
    }
    if (stat === undefined || stat === this.lastStat) return undefined;
    this.lastStat = stat;
    const archive = await this.container.getArchive({ path: PROGRESS_PATH, abortSignal: this.reads.signal });
    const file = await readFirstFile(archive, MAX_PROGRESS_BYTES);
    return file?.data.toString('utf8');
  }
}

/** The engine's stat of a path (name, size, mode, mtime), base64 JSON in a header: compared whole. */
function statHeader(response: unknown): string | undefined {
  if (!isRecord(response)) return undefined;
  const message = response as { headers?: unknown; resume?: () => void };
  // A HEAD answer has no body, but the stream must still be consumed to free its socket.
  message.resume?.();
  const header = isRecord(message.headers) ? message.headers['x-docker-container-path-stat'] : undefined;
  return typeof header === 'string' ? header : undefined;
}
