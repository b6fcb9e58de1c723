import { sql, type Kysely } from 'kysely';

/*
 * The sweeper sends again every second the SCHEDULED tasks that no worker started within a bound
 * of their `published_at`; this partial index keeps that query off the whole tasks table.
 * Numbered 0004: 0003 belongs to the API keys and users.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index tasks_scheduled_published_idx on tasks (published_at)
            where state = 'SCHEDULED' and published_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index tasks_scheduled_published_idx`.execute(db);
}
