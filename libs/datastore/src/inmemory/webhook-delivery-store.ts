import type {
  NewProgressDelivery,
  NewWebhookDelivery,
  WebhookAttemptOutcome,
  WebhookDelivery,
  WebhookDeliveryStore,
} from '@tork/domain';
import type { MemoryState } from './state.js';

interface Held {
  delivery: WebhookDelivery;
  leaseOwner?: string;
  leaseUntil?: string;
}

/** The webhook outbox of one process: deliveries go with their job, as in PostgreSQL. */
export class InMemoryWebhookDeliveryStore implements WebhookDeliveryStore {
  private readonly byId = new Map<string, Held>();
  private readonly keys = new Set<string>();
  /** The last progress delivery added per (job, webhook, task): the one a newer progress may replace. */
  private readonly lastProgress = new Map<string, string>();
  private seq = 0;

  constructor(private readonly state: MemoryState) {}

  cursor(): Promise<number> {
    return this.state.run(() => this.seq);
  }

  enqueue(deliveries: readonly NewWebhookDelivery[], cursor: number): Promise<void> {
    return this.state.run(() => {
      for (const delivery of deliveries) {
        const key = `${delivery.eventSeq}/${delivery.webhookIndex}`;
        if (this.keys.has(key) || !this.state.jobs.has(delivery.jobId)) continue;
        this.keys.add(key);
        this.byId.set(delivery.id, {
          delivery: { ...delivery, state: 'PENDING', attempts: 0, nextAttemptAt: delivery.createdAt },
        });
      }
      this.seq = Math.max(this.seq, cursor);
    });
  }

  enqueueProgress(deliveries: readonly NewProgressDelivery[]): Promise<void> {
    return this.state.run(() => {
      for (const delivery of deliveries) {
        if (!this.state.jobs.has(delivery.jobId)) continue;
        const key = progressKey(delivery);
        const waiting = this.byId.get(this.lastProgress.get(key) ?? '');
        if (waiting !== undefined && waiting.leaseOwner === undefined && waiting.delivery.attempts === 0) {
          waiting.delivery = { ...waiting.delivery, body: delivery.body };
          continue;
        }
        this.lastProgress.set(key, delivery.id);
        this.byId.set(delivery.id, {
          delivery: { ...delivery, state: 'PENDING', attempts: 0, nextAttemptAt: delivery.createdAt },
        });
      }
    });
  }

  claim(query: {
    readonly now: string;
    readonly owner: string;
    readonly leaseUntil: string;
    readonly limit: number;
  }): Promise<WebhookDelivery[]> {
    return this.state.run(() => {
      this.dropDeleted();
      const due = [...this.byId.values()]
        .filter(
          (held) =>
            held.delivery.state === 'PENDING' &&
            held.delivery.nextAttemptAt <= query.now &&
            (held.leaseUntil === undefined || held.leaseUntil <= query.now),
        )
        .sort((a, b) => a.delivery.nextAttemptAt.localeCompare(b.delivery.nextAttemptAt))
        .slice(0, query.limit);
      for (const held of due) {
        held.leaseOwner = query.owner;
        held.leaseUntil = query.leaseUntil;
      }
      return due.map((held) => ({ ...held.delivery }));
    });
  }

  settle(id: string, owner: string, outcome: WebhookAttemptOutcome): Promise<boolean> {
    return this.state.run(() => {
      const held = this.byId.get(id);
      if (held?.leaseOwner !== owner || held.delivery.state !== 'PENDING') return false;
      const { id: kept, eventSeq, webhookIndex, jobId, taskId, event, body, createdAt } = held.delivery;
      held.delivery = {
        id: kept,
        ...(eventSeq === undefined ? {} : { eventSeq }),
        webhookIndex,
        jobId,
        ...(taskId === undefined ? {} : { taskId }),
        event,
        body,
        createdAt,
        state: outcome.state,
        attempts: outcome.attempts,
        nextAttemptAt: outcome.nextAttemptAt,
        ...(outcome.lastError === undefined ? {} : { lastError: outcome.lastError }),
      };
      delete held.leaseOwner;
      delete held.leaseUntil;
      return true;
    });
  }

  get(id: string): Promise<WebhookDelivery | undefined> {
    return this.state.run(() => {
      this.dropDeleted();
      const held = this.byId.get(id);
      return held === undefined ? undefined : { ...held.delivery };
    });
  }

  listByJob(jobId: string): Promise<WebhookDelivery[]> {
    return this.state.run(() =>
      [...this.byId.values()]
        .map((held) => held.delivery)
        .filter((delivery) => delivery.jobId === jobId && this.state.jobs.has(jobId))
        .sort(oldestFirst)
        .map((delivery) => ({ ...delivery })),
    );
  }

  /** Deliveries of deleted jobs go, as the foreign key's cascade does in PostgreSQL. */
  private dropDeleted(): void {
    for (const [id, held] of this.byId) {
      if (this.state.jobs.has(held.delivery.jobId)) continue;
      this.byId.delete(id);
      this.keys.delete(`${held.delivery.eventSeq}/${held.delivery.webhookIndex}`);
      this.lastProgress.delete(progressKey(held.delivery));
    }
  }
}

function progressKey(delivery: { jobId: string; webhookIndex: number; taskId?: string }): string {
  return `${delivery.jobId}/${delivery.webhookIndex}/${delivery.taskId ?? ''}`;
}

/** As PostgreSQL lists them: by creation, a state change before a progress made at the same time. */
function oldestFirst(a: WebhookDelivery, b: WebhookDelivery): number {
  return (
    a.createdAt.localeCompare(b.createdAt) ||
    (a.eventSeq ?? Infinity) - (b.eventSeq ?? Infinity) ||
    a.webhookIndex - b.webhookIndex ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
