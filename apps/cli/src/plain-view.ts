import { ENDED_TASK_STATES, type Execution, type LogEntry, type StateEvent } from './api-types.js';
import type { FollowSink } from './job-follower.js';
import { taskName } from './job-view.js';

/** How long a task's end waits for output it wrote just before it ended. */
const LATE_OUTPUT_MS = 700;

interface Held {
  readonly line: string;
  readonly taskId: string | undefined;
  /** The line says the task ended: its late output goes before it. */
  readonly ends: boolean;
  readonly readyAt: number;
}

/**
 * The watch without a terminal (a pipe, CI): one line per state change and the log lines, no
 * escape codes. A task's output can be stored a moment after its end is: the line saying it ended
 * waits that moment, so its output is printed before it, and no line overtakes an earlier one.
 */
export class PlainView implements FollowSink {
  private held: Held[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  snapshot(): void {
    // Lines come from changes, not from snapshots.
  }

  state(event: StateEvent, execution: Execution | undefined): void {
    const what =
      event.taskId === undefined
        ? 'job'
        : `task ${execution === undefined ? event.taskId : taskName(execution)}`;
    const error =
      execution?.error === undefined || event.state !== 'FAILED' ? '' : `: ${firstLine(execution.error)}`;
    const line = `${clock(event.at, this.now())} ${what} ${event.state}${error}`;
    const late = event.taskId !== undefined && ENDED_TASK_STATES.includes(event.state);
    this.held.push({
      line,
      taskId: event.taskId,
      ends: late,
      readyAt: this.now() + (late ? LATE_OUTPUT_MS : 0),
    });
    this.release(false);
  }

  log(entry: LogEntry, execution: Execution | undefined): void {
    // The task's own lines so far (its start) come before its output.
    const last = this.held.findLastIndex(
      (held) => !held.ends && held.taskId !== undefined && held.taskId === entry.taskId,
    );
    if (last >= 0) this.print(this.held.splice(0, last + 1));
    const name = execution === undefined ? (entry.taskId ?? '') : taskName(execution);
    for (const text of splitLines(entry.text))
      this.write(`${clock(entry.at, this.now())} ${name} | ${text}\n`);
  }

  /** Prints every line still held (the job has ended, or the watch stops). */
  close(): void {
    this.release(true);
  }

  private release(all: boolean): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = all ? -1 : this.held.findIndex((held) => held.readyAt > this.now());
    this.print(this.held.splice(0, waiting < 0 ? this.held.length : waiting));
    const next = this.held[0];
    if (next !== undefined)
      this.timer = setTimeout(() => {
        this.release(false);
      }, next.readyAt - this.now());
  }

  private print(lines: readonly Held[]): void {
    for (const held of lines) this.write(`${held.line}\n`);
  }
}

/** The lines of a log entry's text, without the newline that ends it. */
export function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** HH:MM:SS of the moment given (local time), else of now. */
function clock(at: string | undefined, now: number): string {
  const date = new Date(at === undefined ? now : Date.parse(at));
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}
