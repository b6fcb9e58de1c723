import {
  errorMessage,
  newId,
  type Job,
  type JobEvent,
  type JobState,
  type NewWebhookDelivery,
  type Task,
} from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { wantedWebhooks } from './wanted-webhooks.js';

export interface JobEventFeedOptions {
  /** Events read per pass. */
  readonly batch: number;
  /**
   * How long a missing seq is waited for: its transaction may commit after a later one's. A seq
   * missing longer is taken as never coming (rolled back, or its job deleted) and passed over.
   */
  readonly gapGraceMs: number;
  /** Called once deliveries were stored: the sender may have work. */
  readonly onEnqueued: () => void;
}

const TERMINAL: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Jobs without webhooks the feed remembers, so that their later events read nothing. */
const PLAIN_JOBS_REMEMBERED = 10_000;

/** What the feed needs of a job without webhooks: what its end's topic event carries. None of it changes. */
type PlainJob = Pick<Job, 'id' | 'name' | 'parentId'>;

/** The broker topic a job's end is published on: `job.completed`, `job.failed`, `job.cancelled`. */
export const jobEndTopic = (state: JobState): string => `job.${state.toLowerCase()}`;

/**
 * The one reader of every job event, by seq from a stored cursor (one scheduler at a time, under a
 * lock): it records the webhook deliveries each event calls for, publishes a job's end on the
 * broker, then moves the cursor. Should it die half way, the next pass reads the same events again:
 * deliveries are keyed by (event, webhook), so none is stored twice; a topic event may repeat.
 */
export class JobEventFeed {
  /** First time each missing seq was noticed (this process's clock). */
  private readonly gaps = new Map<number, number>();
  /**
   * Jobs seen without webhooks, by id. A job's webhooks are part of its definition, which never
   * changes: its further events need no read (a job is read for each pass its events fall in
   * otherwise, four or more times over its life).
   */
  private readonly plain = new Map<string, PlainJob>();

  constructor(
    private readonly ctx: SchedulerContext,
    private readonly options: JobEventFeedOptions,
  ) {}

  /** One pass, unless another scheduler runs one now. */
  async pass(): Promise<void> {
    await this.ctx.datastore.runExclusive('job-event-feed', () => this.read());
  }

  private async read(): Promise<void> {
    const { datastore } = this.ctx;
    for (;;) {
      const cursor = await datastore.webhooks.cursor();
      const events = await datastore.events.since(cursor, this.options.batch);
      const readable = this.readableEvents(cursor, events);
      if (readable.length === 0) return;
      const jobs = await this.jobsOf(readable);
      const deliveries: NewWebhookDelivery[] = [];
      for (const event of readable) deliveries.push(...(await this.handle(event, jobs)));
      const last = readable.at(-1)?.seq ?? cursor;
      await datastore.webhooks.enqueue(deliveries, last);
      if (deliveries.length > 0) this.options.onEnqueued();
      if (events.length < this.options.batch || readable.length < events.length) return;
    }
  }

  /**
   * The jobs of a pass's events: read at once, so they go to the datastore together (its reads are
   * batched), but for jobs known to have no webhooks.
   */
  private async jobsOf(events: readonly JobEvent[]): Promise<Map<string, Job | PlainJob | undefined>> {
    const jobs = new Map<string, Job | PlainJob | undefined>();
    for (const event of events) {
      const plain = this.plain.get(event.jobId);
      if (plain !== undefined) jobs.set(event.jobId, plain);
    }
    const ids = [...new Set(events.map((event) => event.jobId))].filter((id) => !jobs.has(id));
    const read = await Promise.all(ids.map((id) => this.ctx.datastore.jobs.get(id)));
    ids.forEach((id, i) => {
      const job = read[i];
      jobs.set(id, job);
      if (job !== undefined && !hasWebhooks(job)) this.remember(job);
    });
    return jobs;
  }

  private remember(job: Job): void {
    if (this.plain.size >= PLAIN_JOBS_REMEMBERED) this.plain.delete(this.plain.keys().next().value ?? '');
    this.plain.set(job.id, {
      id: job.id,
      ...(job.name === undefined ? {} : { name: job.name }),
      ...(job.parentId === undefined ? {} : { parentId: job.parentId }),
    });
  }

  /** The events up to the first missing seq that may still come. */
  private readableEvents(cursor: number, events: readonly JobEvent[]): JobEvent[] {
    const now = Date.now();
    let expected = cursor + 1;
    const readable: JobEvent[] = [];
    for (const event of events) {
      if (event.seq > expected) {
        const seen = this.gaps.get(expected) ?? now;
        this.gaps.set(expected, seen);
        if (now - seen < this.options.gapGraceMs) break;
      }
      readable.push(event);
      expected = event.seq + 1;
    }
    for (const seq of this.gaps.keys()) if (seq < expected) this.gaps.delete(seq);
    return readable;
  }

  private async handle(
    event: JobEvent,
    jobs: ReadonlyMap<string, Job | PlainJob | undefined>,
  ): Promise<NewWebhookDelivery[]> {
    const job = jobs.get(event.jobId);
    if (job === undefined) return [];
    if (event.taskId === undefined && TERMINAL.includes(event.state as JobState))
      await this.publishEnd(job, event);
    if (!('state' in job) || !hasWebhooks(job)) return [];
    const task = event.taskId === undefined ? undefined : await this.ctx.datastore.tasks.get(event.taskId);
    if (event.taskId !== undefined && task === undefined) return [];
    return this.deliveriesFor(job, event, task);
  }

  private deliveriesFor(job: Job, event: JobEvent, task: Task | undefined): NewWebhookDelivery[] {
    const matches =
      task === undefined
        ? wantedWebhooks(this.ctx, 'job.StateChange', job, event.state as JobState)
        : wantedWebhooks(this.ctx, 'task.StateChange', job, job.state, { record: task, state: event.state });
    const createdAt = this.ctx.now();
    return matches.map((match) => ({
      id: newId(),
      eventSeq: event.seq,
      webhookIndex: match.webhookIndex,
      jobId: job.id,
      ...(event.taskId === undefined ? {} : { taskId: event.taskId }),
      event: task === undefined ? 'job.StateChange' : 'task.StateChange',
      body: match.body,
      createdAt,
    }));
  }

  private async publishEnd(job: PlainJob, event: JobEvent): Promise<void> {
    try {
      await this.ctx.broker.publishEvent(jobEndTopic(event.state as JobState), {
        jobId: job.id,
        state: event.state,
        at: event.at,
        seq: event.seq,
        ...(job.name === undefined ? {} : { name: job.name }),
        ...(job.parentId === undefined ? {} : { parentId: job.parentId }),
      });
    } catch (error) {
      // Topic events are best effort, as every publishEvent: the datastore holds the record.
      this.ctx.logger.debug({ jobId: job.id, err: errorMessage(error) }, 'could not publish a job event');
    }
  }
}

function hasWebhooks(job: Job): boolean {
  return job.webhooks !== undefined && job.webhooks.length > 0;
}
