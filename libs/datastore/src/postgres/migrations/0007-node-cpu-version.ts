import { sql, type Kysely } from 'kysely';

/* A worker's CPU use and engine version, from its heartbeats (Tork's node fields). Frozen once released. */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table nodes add column cpu_percent double precision, add column version text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table nodes drop column version, drop column cpu_percent`.execute(db);
}
