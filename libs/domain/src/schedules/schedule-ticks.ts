import { Cron } from 'croner';

/** When a scheduled job fires: a cron expression, read in `timezone` (an IANA zone; UTC when absent). */
export interface Schedule {
  /** 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first. */
  readonly cron: string;
  readonly timezone?: string;
}

/** A cron expression this long is refused before it is parsed. */
export const MAX_CRON_LENGTH = 200;

function cronOf(schedule: Schedule): Cron {
  return new Cron(schedule.cron, {
    mode: '5-or-6-parts',
    timezone: schedule.timezone ?? 'UTC',
    // Only computes times: never runs anything itself.
    paused: true,
  });
}

/** Why a cron expression cannot be used, or undefined when it can. */
export function cronProblem(cron: string): string | undefined {
  if (cron.trim() === '') return 'required: a cron expression such as `0 * * * *`';
  if (cron.length > MAX_CRON_LENGTH) return `at most ${MAX_CRON_LENGTH} characters`;
  try {
    if (cronOf({ cron }).nextRun() === null) return 'never fires';
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    return `not a cron expression (5 fields, or 6 with seconds first): ${reason}`;
  }
}

/** Why a time zone cannot be used, or undefined when it names an IANA zone (`Europe/Paris`, `UTC`). */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return `not an IANA time zone (e.g. \`UTC\`, \`Europe/Paris\`, \`America/New_York\`)`;
  }
}

/**
 * The tick that is due at `now`: the latest fire time after `since` and at or before `now`, or
 * undefined when there is none. The earlier ticks missed since then are skipped: a scheduler that
 * was down runs only the latest of them, once.
 */
export function dueTick(schedule: Schedule, since: string, now: string): string | undefined {
  // previousRuns answers times strictly before its reference: one millisecond on includes `now`.
  const [latest] = cronOf(schedule).previousRuns(1, new Date(Date.parse(now) + 1));
  if (latest === undefined || latest.getTime() <= Date.parse(since)) return undefined;
  return latest.toISOString();
}

/** The next `count` fire times after `after` (exclusive), as ISO-8601 UTC strings. */
export function nextFireTimes(schedule: Schedule, after: string, count: number): string[] {
  return cronOf(schedule)
    .nextRuns(count, new Date(after))
    .map((date) => date.toISOString());
}
