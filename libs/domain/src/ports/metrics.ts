import type { JobState } from '../job.js';
import type { TaskState } from '../task.js';

/**
 * What the engine measures, as the engine names it: libraries record through this port and never
 * see the metrics library. The Prometheus adapter lives in apps/tork; `noopMetrics` is the default
 * everywhere, so a library takes metrics as an optional dependency.
 */
export interface Metrics {
  /** A job's change to `state` was applied (counted once, however many processes raced to apply it). */
  jobTransition(state: JobState): void;
  /** A task's change to `state` was applied. */
  taskTransition(state: TaskState, queue: string): void;
  /** From a task's creation to its start on a worker. */
  observeSubmitToRunning(queue: string, seconds: number): void;
  /** From a task's start to its end (`state`: COMPLETED, FAILED or CANCELLED). */
  observeTaskRunTime(queue: string, state: TaskState, seconds: number): void;
  /** From a publish to the broker's confirm. */
  observeBrokerConfirm(seconds: number): void;
  /** One statement's round trip to the datastore. */
  observeDatastoreStatement(seconds: number): void;
  /** A worker's tasks running now from one queue. */
  setRunningTasks(queue: string, running: number): void;
  /** A worker's slots free now for one queue (its concurrency minus what runs). */
  setFreeSlots(queue: string, free: number): void;
  /** One HTTP request answered; `route` is the route's template (`/jobs/:id`), never the raw URL. */
  observeHttp(route: string, method: string, status: number, seconds: number): void;
  /** One webhook delivery attempt ended so: delivered, retried later, or given up on (failed). */
  webhookAttempt(outcome: WebhookAttemptKind): void;
}

export type WebhookAttemptKind = 'delivered' | 'retried' | 'failed';

/** How a scrape is rendered: Prometheus' text format 0.0.4, or OpenMetrics 1.0. */
export type ScrapeFormat = 'prometheus' | 'openmetrics';

export interface Scrape {
  readonly contentType: string;
  readonly body: string;
}

/** Metrics that a process also exposes: `GET /metrics` renders them. */
export interface ExposedMetrics extends Metrics {
  scrape(format: ScrapeFormat): Promise<Scrape>;
}

/** Records nothing: the default of every library. */
export const noopMetrics: Metrics = {
  jobTransition: () => undefined,
  taskTransition: () => undefined,
  observeSubmitToRunning: () => undefined,
  observeTaskRunTime: () => undefined,
  observeBrokerConfirm: () => undefined,
  observeDatastoreStatement: () => undefined,
  setRunningTasks: () => undefined,
  setFreeSlots: () => undefined,
  observeHttp: () => undefined,
  webhookAttempt: () => undefined,
};

/**
 * The scrape format an `Accept` header asks for, as Prometheus negotiates: OpenMetrics when it is
 * accepted, Prometheus text for `text/plain`; undefined for anything else (`*\/*`, JSON, none), which
 * the API answers with Tork's JSON shape.
 */
export function scrapeFormatFor(accept: string | undefined): ScrapeFormat | undefined {
  if (accept === undefined) return undefined;
  const types = accept
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '')
    .filter((type) => type !== '');
  if (types.includes('application/openmetrics-text')) return 'openmetrics';
  if (types.includes('text/plain')) return 'prometheus';
  return undefined;
}

/** Seconds between two ISO-8601 times; undefined when either is missing or the span is negative. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const span = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(span) && span >= 0 ? span : undefined;
}
