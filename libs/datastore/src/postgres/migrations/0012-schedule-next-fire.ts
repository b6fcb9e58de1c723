import { sql, type Kysely } from 'kysely';

/*
 * Each scheduled job's next fire time, so that the schedulers read only the due ones (an index range
 * scan) instead of every active one each second. Null means no tick to come; a time already past
 * means due, its next tick to be computed at the next look: what existing active rows get here.
 * Frozen once released.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table scheduled_jobs add column next_fire_at timestamptz`.execute(db);
  await sql`update scheduled_jobs set next_fire_at = greatest(active_since, last_fired_at)
            where state = 'ACTIVE'`.execute(db);
  await sql`create index scheduled_jobs_next_fire_at_idx on scheduled_jobs (next_fire_at)
            where state = 'ACTIVE'`.execute(db);
  // The schedulers no longer read every active one.
  await sql`drop index scheduled_jobs_active_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index scheduled_jobs_active_idx on scheduled_jobs (id) where state = 'ACTIVE'`.execute(db);
  await sql`drop index scheduled_jobs_next_fire_at_idx`.execute(db);
  await sql`alter table scheduled_jobs drop column next_fire_at`.execute(db);
}
