import { sql, type Kysely } from 'kysely';

/*
 * Jobs, task executions, task logs and workers. A migration is frozen once released: it spells
 * out its own state lists rather than importing the domain's, which may grow later (with a new
 * migration). Tables are created unqualified, in the connection's schema.
 */

const STATES = sql`('PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text')
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ${STATES}`))
    .addColumn('tasks', 'jsonb', (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('scheduled_at', 'timestamptz')
    .addColumn('started_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .execute();
  // The API lists jobs newest first; sweeps look for old jobs in given states.
  await sql`create index jobs_created_at_idx on jobs (created_at desc, id desc)`.execute(db);
  await sql`create index jobs_state_created_at_idx on jobs (state, created_at)`.execute(db);

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('job_id', 'text', (col) => col.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('attempt', 'integer', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ${STATES}`))
    .addColumn('spec', 'jsonb', (col) => col.notNull())
    .addColumn('queue', 'text', (col) => col.notNull())
    .addColumn('node_id', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('scheduled_at', 'timestamptz')
    .addColumn('started_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('run_at', 'timestamptz')
    .addColumn('deadline_at', 'timestamptz')
    .addColumn('steps', 'jsonb')
    // One execution per (job, position, attempt): createTask relies on it, listTasks reads by it.
    .addUniqueConstraint('tasks_execution_key', ['job_id', 'position', 'attempt'])
    .execute();
  // The scheduler's sweeps: due PENDING tasks, overdue RUNNING tasks, the active tasks of a worker.
  await sql`create index tasks_pending_due_idx on tasks ((coalesce(run_at, created_at)))
            where state = 'PENDING'`.execute(db);
  await sql`create index tasks_running_deadline_idx on tasks (deadline_at)
            where state = 'RUNNING' and deadline_at is not null`.execute(db);
  await sql`create index tasks_active_node_idx on tasks (node_id)
            where state in ('PENDING', 'SCHEDULED', 'RUNNING') and node_id is not null`.execute(db);

  await db.schema
    .createTable('task_logs')
    .addColumn('task_id', 'text', (col) => col.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('number', 'integer', (col) => col.notNull())
    .addColumn('stream', 'text', (col) => col.notNull().check(sql`stream in ('stdout', 'stderr')`))
    .addColumn('text', 'text', (col) => col.notNull())
    .addColumn('at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('task_logs_pkey', ['task_id', 'number'])
    .execute();

  await db.schema
    .createTable('nodes')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('hostname', 'text', (col) => col.notNull())
    .addColumn('queues', 'jsonb', (col) => col.notNull())
    .addColumn('running_tasks', 'integer', (col) => col.notNull())
    .addColumn('started_at', 'timestamptz', (col) => col.notNull())
    .addColumn('last_heartbeat_at', 'timestamptz', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['nodes', 'task_logs', 'tasks', 'jobs']) await db.schema.dropTable(table).execute();
}
