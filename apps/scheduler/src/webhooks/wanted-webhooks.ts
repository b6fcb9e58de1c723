import {
  matchWebhooks,
  secretValues,
  type Job,
  type JobState,
  type Task,
  type TaskState,
  type WebhookEvent,
  type WebhookMatch,
} from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { jobSecretsInClear } from './job-secrets.js';

/**
 * The job's webhooks that want this event, each with its body (the job's or the task's summary,
 * secrets masked). A webhook whose `if` fails to evaluate is not sent, and the operator is told.
 */
export function wantedWebhooks(
  ctx: SchedulerContext,
  event: WebhookEvent,
  job: Job,
  jobState: JobState,
  task?: { readonly record: Task; readonly state: TaskState },
): WebhookMatch[] {
  const clear = Object.values(jobSecretsInClear(job, ctx.keyring));
  const secrets = task === undefined ? clear : [...clear, ...secretValues(task.record.spec)];
  const { matches, errors } = matchWebhooks({
    event,
    job,
    jobState,
    ...(task === undefined ? {} : { task }),
    secrets,
  });
  for (const error of errors)
    ctx.logger.warn(
      { jobId: job.id, webhook: error.webhookIndex, err: error.error },
      'a webhook condition (if) failed to evaluate; not sending it',
    );
  return matches;
}
