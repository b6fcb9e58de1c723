import { sql, type Kysely } from 'kysely';

/*
 * Webhooks: a job's webhooks (jsonb, secret header values encrypted by the API), the outbox of
 * deliveries (one per event and webhook: the unique key makes a re-read event add nothing), and the
 * cursors of the consumers of every job event. The webhook cursor starts at the last event there is,
 * so that upgrading does not report history. See docs/adr/0009-webhook-deliveries.md. Frozen once released.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table jobs add column webhooks jsonb`.execute(db);
  await sql`create table webhook_deliveries (
    id text primary key,
    event_seq bigint not null,
    webhook_index integer not null,
    job_id text not null references jobs (id) on delete cascade,
    task_id text,
    event text not null,
    body text not null,
    state text not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    last_error text,
    lease_owner text,
    lease_until timestamptz,
    created_at timestamptz not null,
    unique (event_seq, webhook_index)
  )`.execute(db);
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at)
            where state = 'PENDING'`.execute(db);
  await sql`create index webhook_deliveries_job_idx on webhook_deliveries (job_id)`.execute(db);
  await sql`create table event_cursors (
    name text primary key,
    seq bigint not null
  )`.execute(db);
  await sql`insert into event_cursors (name, seq)
            select 'webhooks', coalesce(max(seq), 0) from job_events`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table event_cursors`.execute(db);
  await sql`drop table webhook_deliveries`.execute(db);
  await sql`alter table jobs drop column webhooks`.execute(db);
}
