import {
  parseJobSearch,
  encryptSecretEnv,
  errorMessage,
  isJobActive,
  parseDuration,
  newJob,
  parseJobSpec,
  parseJobSpecText,
  resubmittableSpec,
  stateTopic,
  QUEUE,
  TorkError,
  type Broker,
  type Datastore,
  type Job,
  type JobListItem,
  type JobSpec,
  type JobSpecFormat,
  type JobSpecPolicy,
  type Keyring,
  type Logger,
  type Page,
  type Principal,
  type SecretPolicy,
  type JobState,
  type PageQuery,
  type Task,
  type TaskLogEntry,
  type TaskOverview,
} from '@tork/domain';
import { listen, Waker } from '../streams/notices.js';
import { visibleJob } from './access.js';
import { checkPermissionUsers } from './permission-users.js';

/** Children shown per composite task in a job view; the rest are paged. */
export const CHILDREN_SHOWN = 100;
/** How often a waiting submission reads its job's events without a notice (notices are best effort). */
const WAIT_POLL_MS = 1_000;
const EVENTS_READ = 1_000;
const TERMINAL_JOB_STATES: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** A job as its view shows it: itself, its executions (bounded) and its context's vars. */
export interface JobDetails {
  readonly job: Job;
  readonly overview: TaskOverview;
  readonly vars: Record<string, string>;
}

export interface JobServiceDeps {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly logger: Logger;
  /** What submitted jobs may use beyond the schema's rules, e.g. an allowlist of queues. */
  readonly policy?: JobSpecPolicy;
  readonly secretPolicy: SecretPolicy;
  /** Encrypts secret env values before a job is stored; the API never decrypts. */
  readonly keyring?: Keyring;
  /** How often a submission's `wait` reads the job without a notice (default 1 s). */
  readonly waitPollMs?: number;
}

/** Jobs as a caller sees them: submission, reads, cancellation and lists, each checked against the job's permissions. */
export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  /**
   * Validates, stores (PENDING, created by the caller) and queues a job; with its `wait`, how long
   * the caller asked to wait for it to end.
   */
  async submit(
    principal: Principal,
    text: string,
    format: JobSpecFormat,
  ): Promise<{ job: Job; waitMs?: number }> {
    if (text.trim() === '')
      throw TorkError.invalid([{ path: 'body', message: 'required: the request body is empty' }]);
    const parsed = parseJobSpecText(text, format, this.deps.policy);
    const job = await this.store(principal, parsed);
    const waitMs = parsed.wait === undefined ? undefined : parseDuration(parsed.wait.timeout);
    return waitMs === undefined ? { job } : { job, waitMs };
  }

  /**
   * Submits a job's stored definition again as a new job ("run again"), with its secret values as
   * first submitted (the API only ever shows them masked); checked as a new submission would be.
   */
  async duplicate(principal: Principal, id: string): Promise<Job> {
    const original = await visibleJob(this.deps.datastore, principal, id);
    const spec = parseJobSpec(resubmittableSpec(original, this.deps.keyring), this.deps.policy);
    return this.store(principal, spec);
  }

  /** Stores a validated spec as a new PENDING job (secrets encrypted with a keyring) and queues it. */
  private async store(principal: Principal, parsed: JobSpec): Promise<Job> {
    await checkPermissionUsers(this.deps.datastore, parsed);
    const { keyring } = this.deps;
    const spec = keyring === undefined ? parsed : encryptSecretEnv(parsed, this.deps.secretPolicy, keyring);
    const job = newJob(spec, new Date().toISOString(), { createdBy: principal });
    await this.deps.datastore.jobs.create(job);
    try {
      // Submissions at the same moment travel together to the scheduler (its handler is idempotent).
      await this.deps.broker.publish(
        QUEUE.jobs,
        { type: 'job.submitted', jobId: job.id },
        { coalesce: true },
      );
    } catch (error) {
      // The job is stored: the scheduler's sweep sends a PENDING job whose message never left.
      // Answering an error here would invite a retry, and with it a second job.
      this.deps.logger.warn(
        { jobId: job.id, err: errorMessage(error) },
        'job stored but not queued; the sweep will queue it',
      );
    }
    this.deps.logger.info({ jobId: job.id }, 'job submitted');
    return job;
  }

  /** A job with its bounded executions and its context; 404 when it does not exist or the caller may not see it. */
  async get(principal: Principal, id: string): Promise<JobDetails> {
    const job = await visibleJob(this.deps.datastore, principal, id);
    return this.details(job);
  }

  /**
   * Waits until a job ends, reading its events (any API replica sees them) when the scheduler's
   * notice of a state change comes, or every `waitPollMs` without one, and answers it; undefined when
   * `timeoutMs` passes first or `gone` settles (the caller left): the job keeps running either way.
   */
  async waitForEnd(id: string, timeoutMs: number, gone: Promise<unknown>): Promise<JobDetails | undefined> {
    const deadline = Date.now() + timeoutMs;
    const waker = new Waker(gone);
    // Without notices (the broker is away) the wait still reads the job every waitPollMs.
    const unsubscribe = await listen(this.deps.broker, [stateTopic(id)], waker.notify).catch(
      (error: unknown) => {
        this.deps.logger.debug({ jobId: id, err: errorMessage(error) }, 'waiting without state notices');
        return () => Promise.resolve();
      },
    );
    try {
      let after = 0;
      for (;;) {
        const events = await this.deps.datastore.events.list(id, { after, limit: EVENTS_READ });
        after = events.at(-1)?.seq ?? after;
        const ended = events.some(
          (event) => event.taskId === undefined && TERMINAL_JOB_STATES.includes(event.state as JobState),
        );
        if (ended) {
          const job = await this.deps.datastore.jobs.get(id);
          if (job !== undefined && !isJobActive(job.state)) return await this.details(job);
        }
        const wait = deadline - Date.now();
        if (wait <= 0 || waker.gone) return undefined;
        // A full page: read on at once.
        if (events.length < EVENTS_READ)
          await waker.wait(Math.min(this.deps.waitPollMs ?? WAIT_POLL_MS, wait));
      }
    } finally {
      await unsubscribe();
    }
  }

  async cancel(principal: Principal, id: string): Promise<void> {
    const job = await visibleJob(this.deps.datastore, principal, id);
    if (!isJobActive(job.state)) {
      throw new TorkError(
        'INVALID_STATE',
        `job is ${job.state}: only a pending, scheduled or running job can be cancelled`,
      );
    }
    await this.deps.broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: id });
  }

  /** Resumes a failed or cancelled job where it stopped (the scheduler decides what runs again). */
  async restart(principal: Principal, id: string): Promise<void> {
    const job = await visibleJob(this.deps.datastore, principal, id);
    if (job.state !== 'FAILED' && job.state !== 'CANCELLED') {
      throw new TorkError(
        'INVALID_STATE',
        `job is ${job.state}: only a failed or cancelled job can be restarted`,
      );
    }
    await this.deps.broker.publish(QUEUE.jobs, { type: 'job.restart', jobId: id });
  }

  /** The jobs the caller may see, newest first; with `q` and `states`, those that match. */
  list(
    principal: Principal,
    query: PageQuery & {
      readonly q?: string;
      readonly states?: readonly JobState[];
      readonly scheduledJobId?: string;
    },
  ): Promise<Page<JobListItem>> {
    const { q, states, scheduledJobId, ...page } = query;
    return this.deps.datastore.jobs.list({
      ...page,
      ...parseJobSearch(q ?? ''),
      ...(states === undefined ? {} : { states }),
      ...(scheduledJobId === undefined ? {} : { scheduledJobId }),
      visibleTo: principal,
    });
  }

  /** One page of a job's executions: its top-level ones, or those under one composite task. */
  async tasks(
    principal: Principal,
    id: string,
    query: PageQuery & { parentId?: string },
  ): Promise<{ job: Job; page: Page<Task> }> {
    const job = await visibleJob(this.deps.datastore, principal, id);
    const page = await this.deps.datastore.tasks.page(job.id, { ...query, parentId: query.parentId ?? null });
    return { job, page };
  }

  /** One page of the output of every task of a job, in the order it was written. */
  async logs(
    principal: Principal,
    id: string,
    query: PageQuery,
  ): Promise<{ job: Job; page: Page<TaskLogEntry> }> {
    const job = await visibleJob(this.deps.datastore, principal, id);
    return { job, page: await this.deps.datastore.logs.byJob(job.id, query) };
  }

  private async details(job: Job): Promise<JobDetails> {
    const [overview, vars] = await Promise.all([
      this.deps.datastore.tasks.overview(job.id, CHILDREN_SHOWN),
      this.deps.datastore.jobs.vars(job.id),
    ]);
    return { job, overview, vars };
  }
}
