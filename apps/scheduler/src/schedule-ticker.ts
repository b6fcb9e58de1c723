import {
  dueTick,
  errorMessage,
  jobOfTick,
  nextFireTimes,
  QUEUE,
  tickBaseline,
  type ScheduledJob,
} from '@tork/domain';
import type { SchedulerContext } from './scheduler-context.js';

export interface ScheduleTickerOptions {
  /** The longest sleep between two looks at the due scheduled jobs (default 1 s): a new or resumed one waits no longer. */
  readonly maxSleepMs: number;
}

export const DEFAULT_SCHEDULE_TICKER_OPTIONS: ScheduleTickerOptions = { maxSleepMs: 1000 };

/** Past a fire time by this much when it wakes, so that the tick is due by its own clock. */
const WAKE_AFTER_MS = 5;

export interface RunningTicker {
  stop(): Promise<void>;
}

/**
 * Fires the ticks of the active scheduled jobs: wakes at the earliest stored next fire time (or after
 * `maxSleepMs`), reads only the due scheduled jobs, and fires each one's due tick — the latest one
 * since it last fired — through the datastore's atomic fire, which moves its next fire time on and
 * lets one scheduler of many create the tick's job; that one queues it as the API queues a submitted
 * job. Every scheduler process runs one.
 */
export function startScheduleTicker(ctx: SchedulerContext, options: ScheduleTickerOptions): RunningTicker {
  const state = { stopped: false };
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      // Stopped while it looked: no sleep.
      if (state.stopped) {
        resolve();
        return;
      }
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const loop = async (): Promise<void> => {
    while (!state.stopped) {
      const sleepMs = await tick(ctx, options.maxSleepMs).catch((error: unknown) => {
        ctx.logger.warn({ err: errorMessage(error) }, 'could not read the scheduled jobs; trying again');
        return options.maxSleepMs;
      });
      await sleep(sleepMs);
    }
  };
  const running = loop();

  return {
    stop: async () => {
      state.stopped = true;
      clearTimeout(timer);
      wake?.();
      await running;
    },
  };
}

/** The most due scheduled jobs one look reads: more are read by the next look, at once. */
const DUE_PER_LOOK = 100;

/** Fires every due tick; answers how long to sleep until the next fire time, at most `maxSleepMs`. */
async function tick(ctx: SchedulerContext, maxSleepMs: number): Promise<number> {
  const now = ctx.now();
  const due = await ctx.datastore.schedules.due(now, DUE_PER_LOOK);
  const movedOn = await Promise.all(due.map((scheduled) => fireDue(ctx, scheduled, now)));
  // More may be due than one look reads: look again at once, unless none of this look's moved on
  // (their fires failed: the next look, after the usual sleep, tries them again).
  if (due.length === DUE_PER_LOOK && movedOn.some((moved) => moved)) return 0;
  const next = await ctx.datastore.schedules.nextFireAfter(now);
  if (next === undefined) return maxSleepMs;
  return Math.max(0, Math.min(maxSleepMs, Date.parse(next) - Date.parse(ctx.now()) + WAKE_AFTER_MS));
}

/** Fires or moves on a due scheduled job; answers false when that failed (it stays due). */
async function fireDue(ctx: SchedulerContext, scheduled: ScheduledJob, now: string): Promise<boolean> {
  const fireAt = dueTick(scheduled.schedule, tickBaseline(scheduled), now);
  const [nextFireAt] = nextFireTimes(scheduled.schedule, now, 1);
  try {
    if (fireAt === undefined) {
      // Due with no tick to fire (resumed, or from before next fire times were stored): it moves on.
      if (scheduled.nextFireAt !== undefined)
        await ctx.datastore.schedules.advance(scheduled.id, scheduled.nextFireAt, nextFireAt);
      return true;
    }
    const job = jobOfTick(scheduled, fireAt, ctx.now());
    // Not fired: another scheduler fired this tick, and moved its next fire time on.
    if (!(await ctx.datastore.schedules.fire(scheduled.id, fireAt, job, nextFireAt))) return true;
    ctx.logger.info({ scheduledJobId: scheduled.id, jobId: job.id, fireAt }, 'scheduled job fired');
    await ctx.broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id }).catch((error: unknown) => {
      // The job is stored PENDING: the sweeper queues a job whose message never left.
      ctx.logger.warn(
        { jobId: job.id, err: errorMessage(error) },
        'scheduled job stored but not queued; the sweep will queue it',
      );
    });
    return true;
  } catch (error) {
    // Not fired: it stays due, and the next look fires it, unless a later tick is due by then.
    ctx.logger.warn(
      { scheduledJobId: scheduled.id, fireAt, err: errorMessage(error) },
      'could not fire a scheduled job; trying again',
    );
    return false;
  }
}
