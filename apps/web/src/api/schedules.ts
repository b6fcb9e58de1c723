/**
 * Scheduled jobs, in the shape the operations issue defines for `GET /scheduled-jobs` (Tork's page
 * shape). Written here until the API that serves them exports its own types: replace with those then.
 */
export interface ScheduleView {
  readonly id: string;
  readonly name?: string;
  readonly state: 'ACTIVE' | 'PAUSED';
  readonly cron: string;
  /** The next runs, soonest first. */
  readonly nextRunAt?: readonly string[];
}

export interface SchedulePage {
  readonly items: readonly ScheduleView[];
  readonly number: number;
  readonly size: number;
  readonly totalPages: number;
  readonly totalItems: number;
}
