import { sql, type Kysely } from 'kysely';

/*
 * The task tree and the job language: a task execution has a parent (a composite task: parallel,
 * each, subjob) and an index among its siblings; a composite task counts its children still to
 * complete (the fan-in); jobs carry inputs, secrets, output, defaults and auto-deletion; a job's
 * context (`var` results) and the events of every state change get tables of their own. Jobs'
 * `position` becomes 1-based, as Tork's. Frozen once released, like every migration.
 */

const TASK_STATES = sql`('CREATED', 'PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED')`;
const KINDS = sql`('task', 'parallel', 'each', 'subjob')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table jobs
    add column description text,
    add column tags jsonb,
    add column inputs jsonb,
    add column secrets jsonb,
    add column output text,
    add column defaults jsonb,
    add column auto_delete jsonb,
    add column parent_id text,
    add column delete_at timestamptz`.execute(db);
  await sql`update jobs set position = position + 1`.execute(db);
  await sql`create index jobs_delete_at_idx on jobs (delete_at) where delete_at is not null`.execute(db);

  await sql`alter table tasks drop constraint tasks_state_check`.execute(db);
  await sql`alter table tasks add constraint tasks_state_check check (state in ${TASK_STATES})`.execute(db);
  await sql`alter table tasks rename column position to sibling_index`.execute(db);
  await sql`alter table tasks
    add column parent_id text,
    add column kind text not null default 'task' check (kind in ${KINDS}),
    add column retries integer not null default 0,
    add column bindings jsonb,
    add column failure jsonb,
    add column child_count integer,
    add column pending_children integer,
    add column subjob_id text,
    add column masks jsonb,
    add column seq bigserial`.execute(db);
  await sql`update tasks set retries = attempt - 1`.execute(db);
  // One execution per (parent, index, attempt); a top-level task's parent is its job.
  await sql`alter table tasks drop constraint tasks_execution_key`.execute(db);
  await sql`create unique index tasks_execution_key on tasks ((coalesce(parent_id, job_id)), sibling_index, attempt)`.execute(
    db,
  );
  await sql`create index tasks_job_seq_idx on tasks (job_id, seq)`.execute(db);
  await sql`create index tasks_children_idx on tasks (parent_id, sibling_index, attempt) where parent_id is not null`.execute(
    db,
  );
  // An each's children waiting for a slot, taken in index order.
  await sql`create index tasks_waiting_idx on tasks (parent_id, sibling_index) where state = 'CREATED'`.execute(
    db,
  );
  await sql`drop index tasks_active_node_idx`.execute(db);
  await sql`create index tasks_active_node_idx on tasks (node_id)
            where state in ('CREATED', 'PENDING', 'SCHEDULED', 'RUNNING') and node_id is not null`.execute(
    db,
  );

  await sql`create table job_vars (
    job_id text not null references jobs (id) on delete cascade,
    name text not null,
    value text not null,
    primary key (job_id, name)
  )`.execute(db);

  await sql`create table job_events (
    seq bigserial primary key,
    job_id text not null references jobs (id) on delete cascade,
    task_id text,
    state text not null,
    at timestamptz not null
  )`.execute(db);
  await sql`create index job_events_job_idx on job_events (job_id, seq)`.execute(db);

  await sql`alter table task_logs add column job_id text, add column seq bigserial`.execute(db);
  await sql`update task_logs l set job_id = t.job_id from tasks t where t.id = l.task_id`.execute(db);
  await sql`create index task_logs_job_idx on task_logs (job_id, seq)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index task_logs_job_idx`.execute(db);
  await sql`alter table task_logs drop column job_id, drop column seq`.execute(db);
  await sql`drop table job_events`.execute(db);
  await sql`drop table job_vars`.execute(db);
  await sql`drop index tasks_waiting_idx`.execute(db);
  await sql`drop index tasks_children_idx`.execute(db);
  await sql`drop index tasks_job_seq_idx`.execute(db);
  await sql`drop index tasks_execution_key`.execute(db);
  await sql`delete from tasks where parent_id is not null`.execute(db);
  await sql`alter table tasks add constraint tasks_execution_key unique (job_id, sibling_index, attempt)`.execute(
    db,
  );
  await sql`alter table tasks
    drop column parent_id, drop column kind, drop column retries, drop column bindings, drop column failure,
    drop column child_count, drop column pending_children, drop column subjob_id, drop column masks, drop column seq`.execute(
    db,
  );
  await sql`alter table tasks rename column sibling_index to position`.execute(db);
  await sql`update tasks set state = 'CANCELLED' where state in ('CREATED', 'SKIPPED')`.execute(db);
  await sql`alter table tasks drop constraint tasks_state_check`.execute(db);
  await sql`alter table tasks add constraint tasks_state_check
            check (state in ('PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'))`.execute(
    db,
  );
  await sql`drop index jobs_delete_at_idx`.execute(db);
  await sql`update jobs set position = greatest(position - 1, 0)`.execute(db);
  await sql`alter table jobs
    drop column description, drop column tags, drop column inputs, drop column secrets, drop column output,
    drop column defaults, drop column auto_delete, drop column parent_id, drop column delete_at`.execute(db);
}
