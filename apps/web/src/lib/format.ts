/** `1.2 s`, `3 m 04 s`, `2 h 05 m`: how long something took, for people. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const totalSeconds = Math.floor(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} m ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} m`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** From `start` to `end`, or to `now` while it has not ended; undefined before it started. */
export function elapsed(start: string | undefined, end: string | undefined, now: number): number | undefined {
  if (start === undefined) return undefined;
  const from = Date.parse(start);
  const to = end === undefined ? now : Date.parse(end);
  return Number.isNaN(from) || Number.isNaN(to) ? undefined : Math.max(0, to - from);
}

/** `12 s ago`, `3 m ago`: the age of a timestamp. */
export function formatAge(at: string, now: number): string {
  const ms = now - Date.parse(at);
  if (Number.isNaN(ms)) return '–';
  if (ms < 1000) return 'just now';
  return `${formatDuration(ms)} ago`;
}

/** A timestamp as local date and time, to the second. */
export function formatTime(at: string | undefined): string {
  if (at === undefined) return '–';
  const date = new Date(at);
  return Number.isNaN(date.getTime())
    ? at
    : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** The first of the end stamps a job or task carries. */
export function endedAt(item: {
  readonly completedAt?: string;
  readonly failedAt?: string;
  readonly cancelledAt?: string;
}): string | undefined {
  return item.completedAt ?? item.failedAt ?? item.cancelledAt;
}
