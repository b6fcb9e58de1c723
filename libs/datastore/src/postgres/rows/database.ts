import type { ApiKeysTable, UsersTable } from './credentials.js';
import type { EventCursorsTable, JobEventsTable } from './job-events.js';
import type { JobsTable, JobVarsTable } from './jobs.js';
import type { NodesTable } from './nodes.js';
import type { ScheduledJobsTable } from './scheduled-jobs.js';
import type { TaskLogsTable } from './task-logs.js';
import type { TasksTable } from './tasks.js';
import type { WebhookDeliveriesTable } from './webhook-deliveries.js';

/** The tables as kysely sees them; each table's rows become domain objects and back in its own file here. */
export interface Database {
  jobs: JobsTable;
  tasks: TasksTable;
  task_logs: TaskLogsTable;
  nodes: NodesTable;
  job_vars: JobVarsTable;
  job_events: JobEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  event_cursors: EventCursorsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  scheduled_jobs: ScheduledJobsTable;
}
