import { sql, type Kysely } from 'kysely';

/*
 * Progress deliveries (job.Progress, task.Progress) have no job event: `event_seq` is null for them.
 * At most one waits per (job, webhook, task or none for the job's): the unique partial index covers
 * only rows never claimed nor attempted, which a newer progress replaces by upsert; a claimed row
 * leaves it for good (settle counts an attempt). See docs/adr/0009-webhook-deliveries.md. Frozen once released.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table webhook_deliveries alter column event_seq drop not null`.execute(db);
  await sql`create unique index webhook_deliveries_progress_waiting_idx
            on webhook_deliveries (job_id, webhook_index, coalesce(task_id, ''))
            where event_seq is null and state = 'PENDING' and attempts = 0 and lease_owner is null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index webhook_deliveries_progress_waiting_idx`.execute(db);
  await sql`delete from webhook_deliveries where event_seq is null`.execute(db);
  await sql`alter table webhook_deliveries alter column event_seq set not null`.execute(db);
}
