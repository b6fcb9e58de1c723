import { randomUUID } from 'node:crypto';
import {
  classifyAttempt,
  errorMessage,
  nextDeliveryState,
  renderWebhookRequest,
  webhookSignature,
  WEBHOOK_RETRY,
  type AttemptResult,
  type WebhookAttemptOutcome,
  type WebhookDelivery,
} from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { postWebhook } from './http-post.js';
import { jobSecretsInClear } from './job-secrets.js';

export interface WebhookSenderOptions {
  /** Signs every delivery (`Tork-Signature`); none: deliveries go unsigned. */
  readonly secret?: string;
  readonly allowLinkLocal: boolean;
  /** Deliveries claimed (and sent at once) per pass. */
  readonly batch: number;
  /** How long a claim is held: longer than a request may take. */
  readonly leaseMs: number;
  /** The clock of retries, in ms; tests move it. */
  readonly clock: () => number;
  readonly random: () => number;
  /** Sends one request; postWebhook unless a test replaces it. */
  readonly post?: typeof postWebhook;
}

/**
 * Sends due webhook deliveries: claims them under a lease (so schedulers never send one at the
 * same time, and a dead one's claims expire), POSTs each, and records the outcome: delivered,
 * retried later (network error, 429, 5xx: backoff with jitter, Retry-After honoured) or given up
 * on (any other answer, or 24 hours gone) with a log line and a metric.
 */
export class WebhookSender {
  private readonly owner = randomUUID();

  constructor(
    private readonly ctx: SchedulerContext,
    private readonly options: WebhookSenderOptions,
  ) {}

  /** One pass; answers how many deliveries it handled (a full batch: there may be more). */
  async pass(): Promise<number> {
    const now = this.options.clock();
    const claimed = await this.ctx.datastore.webhooks.claim({
      now: new Date(now).toISOString(),
      owner: this.owner,
      leaseUntil: new Date(now + this.options.leaseMs).toISOString(),
      limit: this.options.batch,
    });
    await Promise.all(claimed.map((delivery) => this.send(delivery)));
    return claimed.length;
  }

  private async send(delivery: WebhookDelivery): Promise<void> {
    const request = await this.request(delivery);
    let attempt: AttemptResult;
    if (request.ok) {
      const result = await (this.options.post ?? postWebhook)(request.url, request.headers, delivery.body, {
        timeoutMs: WEBHOOK_RETRY.requestTimeoutMs,
        allowLinkLocal: this.options.allowLinkLocal,
      });
      attempt = classifyAttempt(result, this.options.clock());
    } else {
      attempt = { kind: 'rejected', error: request.error };
    }
    const nowMs = this.options.clock();
    const outcome: WebhookAttemptOutcome = nextDeliveryState(delivery, attempt, nowMs, this.options.random());
    this.ctx.metrics.webhookAttempt(
      outcome.state === 'DELIVERED' ? 'delivered' : outcome.state === 'PENDING' ? 'retried' : 'failed',
    );
    const where = { jobId: delivery.jobId, delivery: delivery.id, attempts: outcome.attempts };
    if (outcome.state === 'FAILED')
      this.ctx.logger.warn({ ...where, err: outcome.lastError }, 'giving up on a webhook delivery');
    else if (outcome.state === 'PENDING')
      this.ctx.logger.info(
        { ...where, err: outcome.lastError, nextAttemptAt: outcome.nextAttemptAt },
        'webhook delivery failed; retrying later',
      );
    const settled = await this.ctx.datastore.webhooks.settle(delivery.id, this.owner, outcome);
    if (!settled) this.ctx.logger.debug(where, 'webhook delivery lease lost before its outcome was recorded');
  }

  /** The URL and headers to send, or why the delivery cannot be made at all. */
  private async request(
    delivery: WebhookDelivery,
  ): Promise<{ ok: true; url: string; headers: Record<string, string> } | { ok: false; error: string }> {
    const job = await this.ctx.datastore.jobs.get(delivery.jobId);
    const webhook = job?.webhooks?.[delivery.webhookIndex];
    if (job === undefined || webhook === undefined)
      return { ok: false, error: 'the job or its webhook is gone' };
    let rendered: { url: string; headers: Record<string, string> };
    try {
      rendered = renderWebhookRequest(
        webhook,
        {
          inputs: { ...job.inputs },
          secrets: jobSecretsInClear(job, this.ctx.keyring),
          job: { id: job.id, name: job.name ?? '' },
        },
        this.ctx.keyring,
      );
    } catch (error) {
      return { ok: false, error: `cannot evaluate the webhook: ${errorMessage(error)}` };
    }
    const timestamp = String(Math.floor(this.options.clock() / 1000));
    return {
      ok: true,
      url: rendered.url,
      headers: {
        ...rendered.headers,
        'content-type': 'application/json',
        'user-agent': 'tork-webhooks',
        'tork-delivery': delivery.id,
        'tork-event': delivery.event,
        'tork-timestamp': timestamp,
        ...(this.options.secret === undefined
          ? {}
          : { 'tork-signature': webhookSignature(this.options.secret, timestamp, delivery.body) }),
      },
    };
  }
}
