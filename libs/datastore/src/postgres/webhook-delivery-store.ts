import { sql, type Kysely } from 'kysely';
import type {
  NewProgressDelivery,
  NewWebhookDelivery,
  WebhookAttemptOutcome,
  WebhookDelivery,
  WebhookDeliveryStore,
} from '@tork/domain';
import type { Database } from './rows/database.js';
import { webhookDeliveryFromRow } from './rows/webhook-deliveries.js';

const CURSOR = 'webhooks';

/** The webhook outbox in PostgreSQL: claims take rows `for update skip locked` and set a lease. */
export class PgWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async cursor(): Promise<number> {
    const row = await this.db
      .selectFrom('event_cursors')
      .select('seq')
      .where('name', '=', CURSOR)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.seq);
  }

  async enqueue(deliveries: readonly NewWebhookDelivery[], cursor: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (deliveries.length > 0)
        await trx
          .insertInto('webhook_deliveries')
          .values(
            deliveries.map((delivery) => ({
              id: delivery.id,
              event_seq: delivery.eventSeq,
              webhook_index: delivery.webhookIndex,
              job_id: delivery.jobId,
              task_id: delivery.taskId ?? null,
              event: delivery.event,
              body: delivery.body,
              state: 'PENDING' as const,
              attempts: 0,
              next_attempt_at: delivery.createdAt,
              created_at: delivery.createdAt,
            })),
          )
          .onConflict((oc) => oc.columns(['event_seq', 'webhook_index']).doNothing())
          .execute();
      await sql`insert into event_cursors (name, seq) values (${CURSOR}, ${cursor})
                on conflict (name) do update set seq = greatest(event_cursors.seq, excluded.seq)`.execute(
        trx,
      );
    });
  }

  async enqueueProgress(deliveries: readonly NewProgressDelivery[]): Promise<void> {
    // One row per key (the last wins), in key order: an upsert may not touch a row twice, and two
    // calls taking the same keys in one order cannot deadlock.
    const byKey = new Map(deliveries.map((d) => [`${d.jobId}/${d.webhookIndex}/${d.taskId ?? ''}`, d]));
    const rows = [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
    if (rows.length === 0) return;
    // The conflict target and predicate name the partial index of migration 0011 (the waiting row).
    await sql`
      insert into webhook_deliveries
        (id, webhook_index, job_id, task_id, event, body, state, attempts, next_attempt_at, created_at)
      select d.id, d.webhook_index, d.job_id, d.task_id, d.event, d.body, 'PENDING', 0, d.created_at, d.created_at
      from unnest(
        ${rows.map((d) => d.id)}::text[],
        ${rows.map((d) => d.webhookIndex)}::integer[],
        ${rows.map((d) => d.jobId)}::text[],
        ${rows.map((d) => d.taskId ?? null)}::text[],
        ${rows.map((d) => d.event)}::text[],
        ${rows.map((d) => d.body)}::text[],
        ${rows.map((d) => d.createdAt)}::timestamptz[]
      ) with ordinality as d(id, webhook_index, job_id, task_id, event, body, created_at, n)
      join jobs on jobs.id = d.job_id
      order by d.n
      on conflict (job_id, webhook_index, coalesce(task_id, ''))
        where event_seq is null and state = 'PENDING' and attempts = 0 and lease_owner is null
      do update set body = excluded.body`.execute(this.db);
  }

  async claim(query: {
    readonly now: string;
    readonly owner: string;
    readonly leaseUntil: string;
    readonly limit: number;
  }): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .updateTable('webhook_deliveries')
      .set({ lease_owner: query.owner, lease_until: query.leaseUntil })
      .where('id', 'in', (qb) =>
        qb
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('state', '=', 'PENDING')
          .where('next_attempt_at', '<=', new Date(query.now) as never)
          .where((eb) =>
            eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', new Date(query.now) as never)]),
          )
          .orderBy('next_attempt_at')
          .limit(query.limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
    return rows.map(webhookDeliveryFromRow).sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt));
  }

  async settle(id: string, owner: string, outcome: WebhookAttemptOutcome): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({
        state: outcome.state,
        attempts: outcome.attempts,
        next_attempt_at: outcome.nextAttemptAt,
        last_error: outcome.lastError ?? null,
        lease_owner: null,
        lease_until: null,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'PENDING')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async get(id: string): Promise<WebhookDelivery | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : webhookDeliveryFromRow(row);
  }

  async listByJob(jobId: string): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('created_at')
      .orderBy(sql`event_seq nulls last`)
      .orderBy('webhook_index')
      .orderBy('id')
      .execute();
    return rows.map(webhookDeliveryFromRow);
  }
}
