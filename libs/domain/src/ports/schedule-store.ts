import type { Job } from '../job.js';
import type { JobViewer } from '../principal.js';
import type { ScheduledJob, ScheduledJobState } from '../schedules/scheduled-job.js';
import type { Page, PageQuery } from './datastore.js';

/**
 * Keeps scheduled jobs: the datastore's `schedules` repository. Adapters: the in-memory and the
 * PostgreSQL datastore; both pass the schedule contract suite in @tork/testing.
 */
export interface ScheduleStore {
  /** Stores a new scheduled job; one whose id is stored already is refused with CONFLICT. */
  create(scheduled: ScheduledJob): Promise<void>;
  get(id: string): Promise<ScheduledJob | undefined>;
  /** Newest first; with `visibleTo`, only those that viewer may see (isJobVisibleTo, by the spec's permissions). */
  list(query: PageQuery & { readonly visibleTo?: JobViewer }): Promise<Page<ScheduledJob>>;
  /**
   * The ACTIVE scheduled jobs due at `now` (next fire time at or before it), the earliest first, at
   * most `limit`: what the schedulers' tickers look at. Reading one does not move it: firing it or
   * `advance` does.
   */
  due(now: string, limit: number): Promise<ScheduledJob[]>;
  /** The earliest next fire time after `after` of an ACTIVE scheduled job: until when a ticker may sleep. */
  nextFireAfter(after: string): Promise<string | undefined>;
  /**
   * Pauses (to PAUSED) or resumes (to ACTIVE, active since `at`: the ticks of the pause never fire)
   * a scheduled job in state `from`; whether it applied. A resumed one is due at `at`: the schedulers'
   * next look computes its next tick.
   */
  setState(id: string, from: ScheduledJobState, to: ScheduledJobState, at: string): Promise<boolean>;
  /** Deletes a scheduled job (the jobs its ticks created stay); whether it existed. */
  delete(id: string): Promise<boolean>;
  /**
   * Fires the tick at `fireAt` in one atomic step: when the scheduled job is ACTIVE and no tick at or
   * after `fireAt` has fired, records `fireAt` as its latest tick, moves its next fire time to
   * `nextFireAt` (undefined: no tick to come) and stores `job` (PENDING, with its event). Whether it
   * fired: of any number of schedulers firing one tick, exactly one sees true.
   */
  fire(id: string, fireAt: string, job: Job, nextFireAt: string | undefined): Promise<boolean>;
  /**
   * Moves the next fire time of an ACTIVE scheduled job from `from` (as `due` read it) to `to`
   * (undefined: no tick to come), unless it moved meanwhile: for a due one with no tick to fire.
   * Whether it moved.
   */
  advance(id: string, from: string, to: string | undefined): Promise<boolean>;
}
