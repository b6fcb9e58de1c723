const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION = /^(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|ms|s|m|h)/;

/**
 * Parses a Go-style duration (`300ms`, `1.5h`, `1h30m`, `45m`) into milliseconds.
 * Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const match = DURATION.exec(rest);
    if (match === null) return undefined;
    const token = match[0];
    const unit = /[a-zµ]+$/.exec(token)?.[0] ?? '';
    const value = Number(token.slice(0, token.length - unit.length));
    const factor = UNIT_MS[unit];
    if (factor === undefined || !Number.isFinite(value)) return undefined;
    total += value * factor;
    rest = rest.slice(token.length);
  }
  return total;
}

/** Formats milliseconds the way users write durations: `1h30m`, `45s`, `300ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0) parts.push(`${minutes}m`);
  if (seconds > 0) parts.push(`${Number(seconds.toFixed(3))}s`);
  return parts.join('');
}
