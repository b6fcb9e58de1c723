import type { SchedulerContext } from '../scheduler-context.js';
import { JobEventFeed } from './job-event-feed.js';
import { Poller } from './poller.js';
import { WebhookSender } from './webhook-sender.js';

export interface WebhookOptions {
  /** Signs deliveries (`Tork-Signature`); none: unsigned. */
  readonly secret?: string;
  /** Let webhooks connect to link-local and cloud metadata addresses. */
  readonly allowLinkLocal?: boolean;
  /** How often the feed and the sender look for work when nothing nudges them. */
  readonly pollIntervalMs?: number;
  /** How long a delivery being sent is held (default 30 s): a dead scheduler's claims are sent again after it. */
  readonly leaseMs?: number;
  /** Tests move these. */
  readonly clock?: () => number;
  readonly random?: () => number;
}

/**
 * Between two passes of a busy feed: at most this much added to a webhook's or topic event's wait.
 * A pass costs about eight round trips whatever it reads; under load one pass every 200 ms takes
 * hundreds of events at once.
 */
const FEED_SETTLE_MS = 200;

export interface RunningWebhooks {
  /** A state changed in this process: read the new events soon. */
  nudge(): void;
  /** Deliveries were stored outside the feed (progress): send them soon. */
  deliveriesEnqueued(): void;
  stop(): Promise<void>;
}

/** Starts the job event feed (webhook deliveries, topic events) and the webhook sender. */
export function startWebhooks(ctx: SchedulerContext, options: WebhookOptions): RunningWebhooks {
  const interval = options.pollIntervalMs ?? 1_000;
  const feed = new JobEventFeed(ctx, {
    batch: 500,
    gapGraceMs: 10_000,
    onEnqueued: () => {
      senderPoller.nudge();
    },
  });
  const sender = new WebhookSender(ctx, {
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    allowLinkLocal: options.allowLinkLocal ?? false,
    batch: 16,
    leaseMs: options.leaseMs ?? 30_000,
    clock: options.clock ?? Date.now,
    random: options.random ?? Math.random,
  });
  const feedPoller = new Poller(
    'the job event feed',
    interval,
    () => feed.pass(),
    ctx.logger,
    FEED_SETTLE_MS,
  );
  const senderPoller: Poller = new Poller(
    'the webhook sender',
    interval,
    async () => {
      // A full batch: there may be more due now.
      if ((await sender.pass()) >= 16) senderPoller.nudge();
    },
    ctx.logger,
  );
  feedPoller.start();
  senderPoller.start();
  return {
    nudge: () => {
      feedPoller.nudge();
    },
    deliveriesEnqueued: () => {
      senderPoller.nudge();
    },
    stop: async () => {
      await feedPoller.stop();
      await senderPoller.stop();
    },
  };
}
