import { createHash } from 'node:crypto';
import { TorkError, type Problem } from '../errors.js';
import { decodeSpecText, type JobSpecFormat } from '../job-spec/decode.js';
import { parseJobSpec } from '../job-spec/parse.js';
import type { JobSpecPolicy } from '../job-spec/policy.js';
import type { JobSpec } from '../job-spec/types.js';
import type { Job } from '../job.js';
import type { CreatedBy } from '../principal.js';
import { newJob } from '../workflow/executions.js';
import { cronProblem, nextFireTimes, timezoneProblem, type Schedule } from './schedule-ticks.js';

export const SCHEDULED_JOB_STATES = ['ACTIVE', 'PAUSED'] as const;
export type ScheduledJobState = (typeof SCHEDULED_JOB_STATES)[number];

/** A job spec that runs on a schedule: each tick creates a job from it. */
export interface ScheduledJob {
  readonly id: string;
  /** The job each tick creates, as submitted (no `wait`); secret values encrypted when the engine has a key. */
  readonly spec: JobSpec;
  readonly schedule: Schedule;
  readonly state: ScheduledJobState;
  readonly createdAt: string;
  readonly createdBy?: CreatedBy;
  /** When it was created or last resumed: no tick before it fires. */
  readonly activeSince: string;
  /** The fire time of the latest tick that created a job. */
  readonly lastFiredAt?: string;
  /**
   * When the schedulers look at it next (while ACTIVE): its next tick, or a time already past when
   * that is still to be computed (just resumed). Absent when no tick is to come.
   */
  readonly nextFireAt?: string;
}

/** A validated `POST /scheduled-jobs` body. */
export interface ScheduledJobSpec {
  readonly spec: JobSpec;
  readonly schedule: Schedule;
}

/** Parses a submitted body (JSON or YAML text) into a scheduled job, or throws INVALID_INPUT with every problem. */
export function parseScheduledJobText(
  text: string,
  format: JobSpecFormat,
  policy: JobSpecPolicy = {},
): ScheduledJobSpec {
  return parseScheduledJob(decodeSpecText(text, format), policy);
}

/**
 * Validates a decoded body: a job spec without `wait`, plus `schedule: {cron, timezone?}`. Throws
 * INVALID_INPUT listing the schedule's problems and the job's together.
 */
export function parseScheduledJob(body: unknown, policy: JobSpecPolicy = {}): ScheduledJobSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw TorkError.invalid([{ path: 'body', message: 'must be an object with `schedule` and `tasks`' }]);
  }
  const { schedule, wait, ...jobFields } = body as Record<string, unknown>;
  const problems: Problem[] = [...scheduleProblems(schedule)];
  if (wait !== undefined)
    problems.push({ path: 'wait', message: 'not accepted on a scheduled job: nobody waits for a tick' });
  let spec: JobSpec | undefined;
  try {
    spec = parseJobSpec(jobFields, policy);
  } catch (error) {
    if (!(error instanceof TorkError) || error.code !== 'INVALID_INPUT') throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || spec === undefined) throw TorkError.invalid(problems);
  const { cron, timezone } = schedule as { cron: string; timezone?: string };
  return { spec, schedule: { cron: cron.trim(), ...(timezone === undefined ? {} : { timezone }) } };
}

function scheduleProblems(schedule: unknown): Problem[] {
  if (schedule === undefined)
    return [{ path: 'schedule', message: 'required: `{cron: "0 * * * *"}` (and an optional `timezone`)' }];
  if (typeof schedule !== 'object' || schedule === null || Array.isArray(schedule))
    return [{ path: 'schedule', message: 'must be an object with `cron` (and an optional `timezone`)' }];
  const problems: Problem[] = Object.keys(schedule)
    .filter((key) => key !== 'cron' && key !== 'timezone')
    .map((key) => ({
      path: `schedule.${key}`,
      message: 'unknown field: `cron` and `timezone` are accepted',
    }));
  const { cron, timezone } = schedule as Record<string, unknown>;
  if (typeof cron !== 'string') {
    problems.push({ path: 'schedule.cron', message: 'required: a cron expression (a string)' });
  } else {
    const problem = cronProblem(cron);
    if (problem !== undefined) problems.push({ path: 'schedule.cron', message: problem });
  }
  if (timezone !== undefined) {
    const problem =
      typeof timezone === 'string' ? timezoneProblem(timezone) : 'must be a string: an IANA time zone';
    if (problem !== undefined) problems.push({ path: 'schedule.timezone', message: problem });
  }
  return problems;
}

/** A new ACTIVE scheduled job, next fired at the first tick after `now`. */
export function newScheduledJob(
  parsed: ScheduledJobSpec,
  id: string,
  now: string,
  createdBy?: CreatedBy,
): ScheduledJob {
  const [nextFireAt] = nextFireTimes(parsed.schedule, now, 1);
  return {
    id,
    spec: parsed.spec,
    schedule: parsed.schedule,
    state: 'ACTIVE',
    createdAt: now,
    ...(createdBy === undefined ? {} : { createdBy: { kind: createdBy.kind, name: createdBy.name } }),
    activeSince: now,
    ...(nextFireAt === undefined ? {} : { nextFireAt }),
  };
}

/** After when its next tick may fire: its latest fired tick, or when it became active if later. */
export function tickBaseline(scheduled: Pick<ScheduledJob, 'activeSince' | 'lastFiredAt'>): string {
  const { activeSince, lastFiredAt } = scheduled;
  return lastFiredAt !== undefined && Date.parse(lastFiredAt) > Date.parse(activeSince)
    ? lastFiredAt
    : activeSince;
}

/**
 * The id of the job a tick creates: derived from (scheduled job, fire time), so the tick has one
 * job however many schedulers fire it, and a retry after a crash finds the one it created.
 */
export function tickJobId(scheduledJobId: string, fireAt: string): string {
  return createHash('sha256').update(`tick:${scheduledJobId}:${fireAt}`).digest('hex').slice(0, 32);
}

/** The PENDING job a tick creates: the scheduled spec, created by its creator, carrying `schedule {id, cron}`. */
export function jobOfTick(scheduled: ScheduledJob, fireAt: string, now: string): Job {
  const { createdBy } = scheduled;
  return {
    ...newJob(scheduled.spec, now, {
      id: tickJobId(scheduled.id, fireAt),
      ...(createdBy === undefined ? {} : { createdBy }),
    }),
    schedule: { id: scheduled.id, cron: scheduled.schedule.cron },
  };
}
