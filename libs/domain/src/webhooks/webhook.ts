/** What a webhook is told of: a job's or a task's state changes, or their progress (Tork's names). */
export const WEBHOOK_EVENTS = [
  'job.StateChange',
  'job.Progress',
  'task.StateChange',
  'task.Progress',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const DEFAULT_WEBHOOK_EVENT: WebhookEvent = 'job.StateChange';

/** A webhook of a job (or of a sub-job) as stored: header values and the URL may hold `{{ }}` expressions. */
export interface WebhookSpec {
  url: string;
  /** Values may use expressions; a secret one is encrypted at rest and `[REDACTED]` in every view. */
  headers?: Record<string, string>;
  /** Default `job.StateChange`. */
  event?: WebhookEvent;
  /** An expression over `job` and `task` (camelCase or Go field names): deliver only when true. */
  if?: string;
}

export const WEBHOOK_STATES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
/** PENDING until a receiver took it (DELIVERED) or it was given up on (FAILED). */
export type WebhookDeliveryState = (typeof WEBHOOK_STATES)[number];

/** What every delivery holds, whatever it reports. */
interface WebhookDeliveryFields {
  /** Sent as `Tork-Delivery`, the same on every attempt. */
  readonly id: string;
  readonly webhookIndex: number;
  readonly jobId: string;
  readonly taskId?: string;
  readonly event: WebhookEvent;
  /** The JSON body, secrets masked: the summary as it was when the event was read. */
  readonly body: string;
  readonly createdAt: string;
}

/** One state-change delivery to make: created once per (event, webhook), however often the event is read. */
export interface NewWebhookDelivery extends WebhookDeliveryFields {
  /** The job event it reports (its `seq`); with `webhookIndex`, its unique key. */
  readonly eventSeq: number;
}

/**
 * One progress delivery to make (`job.Progress`, `task.Progress`): progress is not a job event, so
 * it has no `seq`; it is coalesced per (job, webhook, task) while it waits (see WebhookDeliveryStore).
 */
export interface NewProgressDelivery extends WebhookDeliveryFields {
  /** For a job's progress, `taskId` is absent. */
  readonly event: 'job.Progress' | 'task.Progress';
}

export interface WebhookDelivery extends WebhookDeliveryFields {
  /** The job event it reports; none for a progress delivery. */
  readonly eventSeq?: number;
  readonly state: WebhookDeliveryState;
  /** Attempts made so far. */
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError?: string;
}

/** How an attempt ended, as the sender records it on the delivery it holds. */
export interface WebhookAttemptOutcome {
  readonly state: WebhookDeliveryState;
  readonly attempts: number;
  /** For a PENDING delivery: when to try again. */
  readonly nextAttemptAt: string;
  readonly lastError?: string;
}
