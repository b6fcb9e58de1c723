import {
  DEFAULT_SECRET_POLICY,
  nextFireTimes,
  redactAll,
  redactTaskSpec,
  redactWebhooks,
  type ScheduledJob,
  type SecretPolicy,
} from '@tork/domain';
import { NEXT_RUNS_SHOWN, type ScheduledJobView } from './schemas/scheduled-jobs.schemas.js';
import { jobSecrets } from './views.js';

/** A scheduled job as the API shows it at `now`: Tork's shape, plus `schedule` and its next fire times. */
export function toScheduledJobView(
  scheduled: ScheduledJob,
  now: string,
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
): ScheduledJobView {
  const { spec } = scheduled;
  const view: Record<keyof ScheduledJobView, unknown> = {
    id: scheduled.id,
    name: spec.name,
    description: spec.description,
    tags: spec.tags === undefined ? undefined : [...spec.tags],
    state: scheduled.state,
    cron: scheduled.schedule.cron,
    schedule: { ...scheduled.schedule },
    nextRunAt: scheduled.state === 'ACTIVE' ? nextFireTimes(scheduled.schedule, now, NEXT_RUNS_SHOWN) : [],
    lastRunAt: scheduled.lastFiredAt,
    inputs: spec.inputs === undefined ? undefined : { ...spec.inputs },
    secrets: spec.secrets === undefined ? undefined : redactAll(spec.secrets),
    output: spec.output,
    defaults: spec.defaults,
    autoDelete: spec.autoDelete,
    webhooks:
      spec.webhooks === undefined
        ? undefined
        : redactWebhooks(spec.webhooks, policy, jobSecrets(spec, policy)),
    tasks: spec.tasks.map((task) => redactTaskSpec(task, policy)),
    permissions: spec.permissions?.map((permission) => ({ ...permission })),
    createdAt: scheduled.createdAt,
    createdBy: scheduled.createdBy,
  };
  return Object.fromEntries(
    Object.entries(view).filter(([, value]) => value !== undefined),
  ) as ScheduledJobView;
}
