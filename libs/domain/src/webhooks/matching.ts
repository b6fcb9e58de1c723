import { errorMessage } from '../errors.js';
import type { JobState } from '../job.js';
import { evaluateExpression } from '../workflow/templates.js';
import {
  jobSummaryBody,
  taskSummaryBody,
  webhookConditionScope,
  type JobSummaryBody,
  type TaskSummaryBody,
} from './summary.js';
import { DEFAULT_WEBHOOK_EVENT, type WebhookEvent, type WebhookSpec } from './webhook.js';
import type { Job } from '../job.js';
import type { Task, TaskState } from '../task.js';

/** A job event as the webhook dispatcher reads it, with the records it concerns. */
export interface WebhookTrigger {
  readonly event: WebhookEvent;
  readonly job: Job;
  readonly jobState: JobState;
  readonly task?: { readonly record: Task; readonly state: TaskState };
  /** Values to mask in results and errors. */
  readonly secrets: readonly string[];
}

/** One webhook that wants this event, with the body to send it. */
export interface WebhookMatch {
  readonly webhookIndex: number;
  readonly body: string;
}

/** A webhook whose `if` could not be evaluated: it is not sent, and the operator is told. */
export interface WebhookConditionError {
  readonly webhookIndex: number;
  readonly error: string;
}

/**
 * The job's webhooks that want this event: those of its event type whose `if` (when given) is
 * true. A condition is true when it evaluates to `true` or to the text `true`, as Tork reads it.
 */
export function matchWebhooks(trigger: WebhookTrigger): {
  matches: WebhookMatch[];
  errors: WebhookConditionError[];
} {
  const webhooks = trigger.job.webhooks ?? [];
  const wanted = webhooks
    .map((webhook, webhookIndex) => ({ webhook, webhookIndex }))
    .filter(({ webhook }) => (webhook.event ?? DEFAULT_WEBHOOK_EVENT) === trigger.event);
  if (wanted.length === 0) return { matches: [], errors: [] };
  const job = jobSummaryBody(trigger.job, trigger.jobState, trigger.secrets);
  const task =
    trigger.task === undefined
      ? undefined
      : taskSummaryBody(trigger.task.record, trigger.task.state, trigger.secrets);
  const body = JSON.stringify(task ?? job);
  const matches: WebhookMatch[] = [];
  const errors: WebhookConditionError[] = [];
  for (const { webhook, webhookIndex } of wanted) {
    const verdict = conditionHolds(webhook, job, task);
    if (typeof verdict === 'string') errors.push({ webhookIndex, error: verdict });
    else if (verdict) matches.push({ webhookIndex, body });
  }
  return { matches, errors };
}

/** True, false, or why the condition failed to evaluate. */
function conditionHolds(
  webhook: WebhookSpec,
  job: JobSummaryBody,
  task: TaskSummaryBody | undefined,
): boolean | string {
  if (webhook.if === undefined || webhook.if.trim() === '') return true;
  try {
    const value = evaluateExpression(webhook.if, webhookConditionScope(job, task));
    return value === true || (typeof value === 'string' && value.trim() === 'true');
  } catch (error) {
    return errorMessage(error);
  }
}
