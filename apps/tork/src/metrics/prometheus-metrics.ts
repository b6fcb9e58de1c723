import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  openMetricsContentType,
  prometheusContentType,
  Registry,
  type OpenMetricsContentType,
  type PrometheusContentType,
} from 'prom-client';
import type {
  ExposedMetrics,
  JobState,
  QueuedTaskCount,
  Scrape,
  ScrapeFormat,
  TaskState,
  WebhookAttemptKind,
} from '@tork/domain';

const PREFIX = 'tork_';

/** Fast round trips: a confirm, a statement. */
const ROUND_TRIP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Waiting for a worker: from milliseconds on an idle engine to many minutes behind a backlog. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Tasks run from a second to hours. */
const RUN_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600];

/** What the datastore says is in flight now, read when the metrics are scraped (the API's gauges). */
export interface InFlight {
  readonly jobs: Partial<Record<JobState, number>>;
  readonly tasks: readonly QueuedTaskCount[];
}

export interface PrometheusMetricsOptions {
  /** Read at each scrape for the in-flight gauges; without it (scheduler, worker) they are absent. */
  readonly inFlight?: () => Promise<InFlight>;
}

/** The Metrics port in prom-client, with Node.js process metrics; each instance has its own registry. */
export class PrometheusMetrics implements ExposedMetrics {
  private readonly registry = new Registry<PrometheusContentType | OpenMetricsContentType>();
  /** Scrapes switch the registry's format: one at a time. */
  private scraping: Promise<unknown> = Promise.resolve();
  private inFlightRead: Promise<InFlight> | undefined;
  private readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  private readonly jobTransitions: Counter<'state'>;
  private readonly taskTransitions: Counter<'state' | 'queue'>;
  private readonly submitToRunning: Histogram<'queue'>;
  private readonly taskRunTime: Histogram<'queue' | 'state'>;
  private readonly brokerConfirm: Histogram;
  private readonly datastoreStatement: Histogram;
  private readonly runningTasks: Gauge<'queue'>;
  private readonly freeSlots: Gauge<'queue'>;
  private readonly webhookAttempts: Counter<'outcome'>;

  constructor(options: PrometheusMetricsOptions = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.httpRequests = new Counter({
      name: `${PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.jobTransitions = new Counter({
      name: `${PREFIX}job_transitions_total`,
      help: 'Job state changes applied, by the state entered.',
      labelNames: ['state'],
      registers,
    });
    this.taskTransitions = new Counter({
      name: `${PREFIX}task_transitions_total`,
      help: 'Task state changes applied, by the state entered and the task queue.',
      labelNames: ['state', 'queue'],
      registers,
    });
    this.submitToRunning = new Histogram({
      name: `${PREFIX}task_submit_to_running_seconds`,
      help: 'From a task creation (or the time its retry was due) to its start on a worker, by queue.',
      labelNames: ['queue'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.taskRunTime = new Histogram({
      name: `${PREFIX}task_run_seconds`,
      help: 'From a task start to its end, by queue and the state it ended in.',
      labelNames: ['queue', 'state'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.brokerConfirm = new Histogram({
      name: `${PREFIX}broker_confirm_seconds`,
      help: 'From a publish to the broker confirm.',
      buckets: ROUND_TRIP_BUCKETS,
      registers,
    });
    this.datastoreStatement = new Histogram({
      name: `${PREFIX}datastore_statement_seconds`,
      help: 'Round trip of one datastore statement.',
      buckets: ROUND_TRIP_BUCKETS,
      registers,
    });
    this.runningTasks = new Gauge({
      name: `${PREFIX}worker_running_tasks`,
      help: 'Tasks this worker runs now, by queue.',
      labelNames: ['queue'],
      registers,
    });
    this.freeSlots = new Gauge({
      name: `${PREFIX}worker_free_slots`,
      help: 'Tasks this worker could start now, by queue (its concurrency minus what runs).',
      labelNames: ['queue'],
      registers,
    });
    this.webhookAttempts = new Counter({
      name: `${PREFIX}webhook_attempts_total`,
      help: 'Webhook delivery attempts, by outcome: delivered, retried (to be tried again) or failed (given up on).',
      labelNames: ['outcome'],
      registers,
    });
    if (options.inFlight !== undefined) this.registerInFlight(options.inFlight);
  }

  jobTransition(state: JobState): void {
    this.jobTransitions.inc({ state });
  }

  taskTransition(state: TaskState, queue: string): void {
    this.taskTransitions.inc({ state, queue });
  }

  observeSubmitToRunning(queue: string, seconds: number): void {
    this.submitToRunning.observe({ queue }, seconds);
  }

  observeTaskRunTime(queue: string, state: TaskState, seconds: number): void {
    this.taskRunTime.observe({ queue, state }, seconds);
  }

  observeBrokerConfirm(seconds: number): void {
    this.brokerConfirm.observe(seconds);
  }

  observeDatastoreStatement(seconds: number): void {
    this.datastoreStatement.observe(seconds);
  }

  setRunningTasks(queue: string, running: number): void {
    this.runningTasks.set({ queue }, running);
  }

  setFreeSlots(queue: string, free: number): void {
    this.freeSlots.set({ queue }, free);
  }

  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  webhookAttempt(outcome: WebhookAttemptKind): void {
    this.webhookAttempts.inc({ outcome });
  }

  scrape(format: ScrapeFormat): Promise<Scrape> {
    const contentType = format === 'openmetrics' ? openMetricsContentType : prometheusContentType;
    const rendered = this.scraping.then(async () => {
      this.inFlightRead = undefined;
      this.registry.setContentType(contentType);
      return { contentType, body: await this.registry.metrics() };
    });
    this.scraping = rendered.catch(() => undefined);
    return rendered;
  }

  /** Gauges of what is in flight engine-wide, read from the datastore when scraped. */
  private registerInFlight(read: () => Promise<InFlight>): void {
    // Both gauges come from one read per scrape (scrapes run one at a time and forget the last read).
    const once = (): Promise<InFlight> =>
      (this.inFlightRead ??= read().catch((): InFlight => ({ jobs: {}, tasks: [] })));
    new Gauge({
      name: `${PREFIX}jobs_in_flight`,
      help: 'Jobs not ended, by state, engine-wide (from the datastore; every API replica reports the same).',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const { jobs } = await once();
        this.reset();
        // Unread (the datastore is down): no samples, and the rest of the scrape still goes out.
        for (const [state, count] of Object.entries(jobs)) this.set({ state }, count);
      },
    });
    new Gauge({
      name: `${PREFIX}tasks_in_flight`,
      help: 'Container tasks waiting (PENDING, SCHEDULED) or RUNNING, by queue and state, engine-wide (from the datastore).',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        const { tasks } = await once();
        this.reset();
        for (const { queue, state, count } of tasks) this.set({ queue, state }, count);
      },
    });
  }
}
