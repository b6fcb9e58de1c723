import type {
  NewProgressDelivery,
  NewWebhookDelivery,
  WebhookAttemptOutcome,
  WebhookDelivery,
} from '../webhooks/webhook.js';

/**
 * The durable outbox of webhook deliveries (docs/adr/0009-webhook-deliveries.md). The dispatcher
 * reads job events by their global `seq` from a stored cursor and records here the deliveries they
 * call for; the progress handler records progress deliveries here, coalesced; senders in any scheduler claim due deliveries under a lease, send them and record how
 * the attempt ended. A claim that was never settled (its sender died) expires with its lease.
 * Adapters: the in-memory and PostgreSQL datastores, held to one contract suite.
 */
export interface WebhookDeliveryStore {
  /** The `seq` of the last job event the dispatcher has handled; 0 at first. */
  cursor(): Promise<number>;
  /**
   * Stores deliveries and moves the cursor to `cursor`, in one atomic step. A delivery whose
   * (eventSeq, webhookIndex) is stored already is left as it is (a re-read event adds nothing); the
   * cursor never moves back.
   */
  enqueue(deliveries: readonly NewWebhookDelivery[], cursor: number): Promise<void>;
  /**
   * Stores progress deliveries, coalesced: one whose (job, webhook, task or none for the job's)
   * has a delivery still waiting (PENDING, never claimed nor attempted) replaces that one's body
   * (its id and times stay); otherwise, or once the waiting one was claimed, it is added. A
   * delivery of a job that is gone is dropped.
   */
  enqueueProgress(deliveries: readonly NewProgressDelivery[]): Promise<void>;
  /**
   * Claims up to `limit` PENDING deliveries due by `now` (next attempt at or before it) that no live
   * lease holds, oldest due first, for `owner` until `leaseUntil`. Two callers never get the same
   * delivery while its lease runs.
   */
  claim(query: {
    readonly now: string;
    readonly owner: string;
    readonly leaseUntil: string;
    readonly limit: number;
  }): Promise<WebhookDelivery[]>;
  /**
   * Records how an attempt ended and releases the lease, when `owner` still holds it; whether it
   * applied (a sender whose lease expired and was taken over records nothing).
   */
  settle(id: string, owner: string, outcome: WebhookAttemptOutcome): Promise<boolean>;
  get(id: string): Promise<WebhookDelivery | undefined>;
  /** A job's deliveries, oldest (created) first: for tests and operators. */
  listByJob(jobId: string): Promise<WebhookDelivery[]>;
}
