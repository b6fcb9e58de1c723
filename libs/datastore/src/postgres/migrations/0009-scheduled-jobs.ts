import { sql, type Kysely } from 'kysely';

/*
 * Scheduled jobs, and the link from a job to the scheduled job whose tick created it. A tick is
 * claimed by a compare-and-set on `last_fired_at` in the transaction that inserts its job, whose id
 * is derived from (scheduled job, fire time): the primary key makes one job per tick however many
 * schedulers fire it. Frozen once released.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scheduled_jobs')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('ACTIVE', 'PAUSED')`))
    .addColumn('spec', 'jsonb', (col) => col.notNull())
    .addColumn('cron', 'text', (col) => col.notNull())
    .addColumn('timezone', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_by', 'jsonb')
    .addColumn('active_since', 'timestamptz', (col) => col.notNull())
    .addColumn('last_fired_at', 'timestamptz')
    .execute();
  // The API lists them newest first; every scheduler reads the active ones each second.
  await sql`create index scheduled_jobs_created_at_idx on scheduled_jobs (created_at desc, id desc)`.execute(
    db,
  );
  await sql`create index scheduled_jobs_active_idx on scheduled_jobs (id) where state = 'ACTIVE'`.execute(db);
  await sql`alter table jobs add column schedule jsonb`.execute(db);
  await sql`create index jobs_schedule_id_idx on jobs ((schedule ->> 'id'), created_at desc)
            where schedule is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index jobs_schedule_id_idx`.execute(db);
  await sql`alter table jobs drop column schedule`.execute(db);
  await db.schema.dropTable('scheduled_jobs').execute();
}
