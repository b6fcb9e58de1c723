import {
  encryptSecretEnv,
  isId,
  isJobVisibleTo,
  newId,
  newScheduledJob,
  parseScheduledJobText,
  TorkError,
  type Datastore,
  type JobSpecFormat,
  type JobSpecPolicy,
  type Keyring,
  type Logger,
  type Page,
  type PageQuery,
  type Principal,
  type ScheduledJob,
  type ScheduledJobState,
  type SecretPolicy,
} from '@tork/domain';
import { checkPermissionUsers } from './permission-users.js';

export interface ScheduleServiceDeps {
  readonly datastore: Datastore;
  readonly logger: Logger;
  /** What the jobs a schedule creates may use beyond the schema's rules: the policy of submitted jobs. */
  readonly policy?: JobSpecPolicy;
  readonly secretPolicy: SecretPolicy;
  /** Encrypts secret values before the spec is stored, as for a submitted job. */
  readonly keyring?: Keyring;
}

/**
 * Scheduled jobs as a caller sees them. Whoever may submit a job may schedule one; who may see, pause,
 * resume or delete it follows its `permissions` as for a job.
 */
export class ScheduleService {
  constructor(private readonly deps: ScheduleServiceDeps) {}

  /** Validates and stores a new ACTIVE scheduled job, created by the caller. */
  async create(principal: Principal, text: string, format: JobSpecFormat): Promise<ScheduledJob> {
    if (text.trim() === '')
      throw TorkError.invalid([{ path: 'body', message: 'required: the request body is empty' }]);
    const parsed = parseScheduledJobText(text, format, this.deps.policy);
    await checkPermissionUsers(this.deps.datastore, parsed.spec);
    const { keyring } = this.deps;
    const spec =
      keyring === undefined ? parsed.spec : encryptSecretEnv(parsed.spec, this.deps.secretPolicy, keyring);
    const scheduled = newScheduledJob({ ...parsed, spec }, newId(), new Date().toISOString(), principal);
    await this.deps.datastore.schedules.create(scheduled);
    this.deps.logger.info({ scheduledJobId: scheduled.id, cron: scheduled.schedule.cron }, 'job scheduled');
    return scheduled;
  }

  /** 404 when it does not exist or the caller may not see it. */
  async get(principal: Principal, id: string): Promise<ScheduledJob> {
    const scheduled = isId(id) ? await this.deps.datastore.schedules.get(id) : undefined;
    if (
      scheduled === undefined ||
      !isJobVisibleTo({ createdBy: scheduled.createdBy, permissions: scheduled.spec.permissions }, principal)
    )
      throw TorkError.notFound('scheduled job', id);
    return scheduled;
  }

  /** The scheduled jobs the caller may see, newest first. */
  list(principal: Principal, query: PageQuery): Promise<Page<ScheduledJob>> {
    return this.deps.datastore.schedules.list({ ...query, visibleTo: principal });
  }

  /** ACTIVE → PAUSED: no tick fires until it is resumed. */
  pause(principal: Principal, id: string): Promise<void> {
    return this.move(principal, id, 'ACTIVE', 'PAUSED');
  }

  /** PAUSED → ACTIVE: the ticks missed while paused never fire; the next one does. */
  resume(principal: Principal, id: string): Promise<void> {
    return this.move(principal, id, 'PAUSED', 'ACTIVE');
  }

  /** Deletes it: no tick fires any more; the jobs it created stay. */
  async delete(principal: Principal, id: string): Promise<void> {
    await this.get(principal, id);
    if (!(await this.deps.datastore.schedules.delete(id))) throw TorkError.notFound('scheduled job', id);
    this.deps.logger.info({ scheduledJobId: id }, 'scheduled job deleted');
  }

  private async move(
    principal: Principal,
    id: string,
    from: ScheduledJobState,
    to: ScheduledJobState,
  ): Promise<void> {
    const scheduled = await this.get(principal, id);
    const moved =
      scheduled.state === from &&
      (await this.deps.datastore.schedules.setState(id, from, to, new Date().toISOString()));
    if (!moved) {
      const verb = to === 'PAUSED' ? 'paused' : 'resumed';
      throw new TorkError(
        'INVALID_STATE',
        `scheduled job is ${scheduled.state === from ? to : scheduled.state}: only an ${from} one can be ${verb}`,
      );
    }
  }
}
