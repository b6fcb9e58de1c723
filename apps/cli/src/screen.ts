/** Where a frame goes: a terminal stream, as far as the screen needs one. */
export interface TerminalOut {
  write(text: string): boolean;
  readonly columns?: number;
  readonly rows?: number;
}

const FRAME_MS = 100;

/**
 * Redraws a block of lines in place on a terminal, at most ten times a second: the cursor goes
 * back to the block's first line, each line is rewritten and cleared to its end, and what the last
 * frame drew below is erased.
 */
export class Screen {
  private drawnLines = 0;
  private pending: (() => string[]) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastDraw = 0;

  constructor(private readonly out: TerminalOut) {
    out.write('\x1b[?25l');
  }

  get size(): { width: number; height: number } {
    return { width: this.out.columns ?? 80, height: this.out.rows ?? 24 };
  }

  /** Asks for a frame; `frame` runs when it is drawn, so a burst of updates draws once. */
  update(frame: () => string[]): void {
    this.pending = frame;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastDraw + FRAME_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Draws the frame asked for now, if any. */
  flush(): void {
    const frame = this.pending;
    this.pending = undefined;
    if (frame === undefined) return;
    this.lastDraw = Date.now();
    const lines = frame();
    const up = this.drawnLines > 0 ? `\r\x1b[${this.drawnLines}A` : '\r';
    this.out.write(`${up}${lines.map((line) => `${line}\x1b[K\n`).join('')}\x1b[J`);
    this.drawnLines = lines.length;
  }

  /** Draws what is pending and gives the cursor back, below the last frame. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    this.out.write('\x1b[?25h');
  }
}
