import {
  encryptSecretEnv,
  errorMessage,
  isJobActive,
  newJob,
  parseJobSpecText,
  QUEUE,
  TorkError,
  type Broker,
  type Datastore,
  type Job,
  type JobSpec,
  type JobSpecFormat,
  type JobSpecPolicy,
  type Keyring,
  type Logger,
  type Page,
  type Principal,
  type SecretPolicy,
  type Task,
} from '@tork/domain';
import { visibleJob } from './access.js';

export interface JobServiceDeps {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly logger: Logger;
  /** What submitted jobs may use beyond the schema's rules, e.g. an allowlist of queues. */
  readonly policy?: JobSpecPolicy;
  readonly secretPolicy: SecretPolicy;
  /** Encrypts secret env values before a job is stored; the API never decrypts. */
  readonly keyring?: Keyring;
}

/** Jobs as a caller sees them: submission, reads, cancellation and lists, each checked against the job's permissions. */
export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  /** Validates, stores (PENDING, created by the caller) and queues a job. */
  async submit(principal: Principal, text: string, format: JobSpecFormat): Promise<Job> {
    if (text.trim() === '')
      throw TorkError.invalid([{ path: 'body', message: 'required: the request body is empty' }]);
    const parsed = parseJobSpecText(text, format, this.deps.policy);
    await this.checkPermissionUsers(parsed);
    const { keyring } = this.deps;
    const spec = keyring === undefined ? parsed : encryptSecretEnv(parsed, this.deps.secretPolicy, keyring);
    const job = newJob(spec, new Date().toISOString(), principal);
    await this.deps.datastore.createJob(job);
    try {
      await this.deps.broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
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

  /** A job with its executions; 404 when it does not exist or the caller may not see it. */
  async get(principal: Principal, id: string): Promise<{ job: Job; tasks: Task[] }> {
    const job = await visibleJob(this.deps.datastore, principal, id);
    return { job, tasks: await this.deps.datastore.listTasks(id) };
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

  /** The jobs the caller may see, newest first. */
  list(principal: Principal, page: number, size: number): Promise<Page<Job>> {
    return this.deps.datastore.listJobs({ page, size, visibleTo: principal });
  }

  /** Every `user` a permission names must be a stored user or API key. */
  private async checkPermissionUsers(spec: JobSpec): Promise<void> {
    const named = (spec.permissions ?? []).flatMap((permission, index) =>
      'user' in permission ? [{ index, name: permission.user }] : [],
    );
    if (named.length === 0) return;
    const existing = new Set(
      await this.deps.datastore.credentials.existingNames(named.map((entry) => entry.name)),
    );
    const problems = named
      .filter((entry) => !existing.has(entry.name))
      .map((entry) => ({
        path: `permissions[${entry.index}].user`,
        message: `no user or API key is named "${entry.name}"`,
      }));
    if (problems.length > 0) throw TorkError.invalid(problems);
  }
}
