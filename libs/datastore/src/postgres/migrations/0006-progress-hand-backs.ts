import { sql, type Kysely } from 'kysely';

/*
 * Progress and hand-backs: a running task's progress (0-100, as it last reported it) and how many
 * times it was handed back because its worker's runtime was down; a job's progress from its
 * top-level tasks. Frozen once released, like every migration.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tasks
    add column progress real,
    add column hand_backs integer not null default 0`.execute(db);
  await sql`alter table jobs add column progress real`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table jobs drop column progress`.execute(db);
  await sql`alter table tasks drop column hand_backs, drop column progress`.execute(db);
}
