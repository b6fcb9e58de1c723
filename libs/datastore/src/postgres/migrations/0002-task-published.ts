import { sql, type Kysely } from 'kysely';

/*
 * tasks.published_at: when the broker confirmed a task's `task.run`. The sweeper sends again the
 * SCHEDULED tasks that never got it (their scheduler stopped between marking and sending). Tasks
 * SCHEDULED before this migration were sent by the version that scheduled them: they count as
 * published, so that an upgrade sends nothing twice.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tasks add column published_at timestamptz`.execute(db);
  await sql`update tasks set published_at = scheduled_at where state = 'SCHEDULED'`.execute(db);
  await sql`create index tasks_unpublished_idx on tasks (scheduled_at)
            where state = 'SCHEDULED' and published_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index tasks_unpublished_idx`.execute(db);
  await sql`alter table tasks drop column published_at`.execute(db);
}
