import { sql, type Kysely } from 'kysely';

/*
 * Search and retention. Full text over a job's state, name and description (weighted A, B, C, as
 * Tork's `ts`) as an expression index rather than a generated column: no table rewrite, and
 * `select *` reads nothing more. The `simple` configuration (no stemming, no stop words) so the
 * in-memory datastore can find the same jobs. Tags by GIN (`?|`: any of). Retention reads finished
 * jobs by their end, log entries by age and workers by last heartbeat. Frozen once released.
 */

/** The searched document; a query uses this very expression, or the index is not used. */
export const JOB_SEARCH_DOCUMENT = sql`(setweight(to_tsvector('simple'::regconfig, state), 'A')
  || setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'B')
  || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C'))`;

/** When a finished job ended; indexed for the jobs in FINISHED_STATES. */
export const JOB_FINISHED_AT = sql`greatest(completed_at, failed_at, cancelled_at)`;
export const FINISHED_STATES = sql`('COMPLETED', 'FAILED', 'CANCELLED')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index jobs_search_idx on jobs using gin (${JOB_SEARCH_DOCUMENT})`.execute(db);
  await sql`create index jobs_tags_idx on jobs using gin (tags)`.execute(db);
  await sql`create index jobs_finished_at_idx on jobs ((${JOB_FINISHED_AT}))
            where state in ${FINISHED_STATES}`.execute(db);
  await sql`create index task_logs_at_idx on task_logs (at)`.execute(db);
  await sql`create index nodes_last_heartbeat_at_idx on nodes (last_heartbeat_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'nodes_last_heartbeat_at_idx',
    'task_logs_at_idx',
    'jobs_finished_at_idx',
    'jobs_tags_idx',
    'jobs_search_idx',
  ])
    await sql`drop index ${sql.ref(index)}`.execute(db);
}
