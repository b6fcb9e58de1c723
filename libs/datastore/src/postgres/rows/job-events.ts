import type { ColumnType, Selectable } from 'kysely';
import type { JobEvent } from '@tork/domain';
import { iso, optional, type Timestamp } from './columns.js';

export interface JobEventsTable {
  seq: ColumnType<string, never, never>;
  job_id: string;
  task_id: string | null;
  state: string;
  at: Timestamp;
}

/** How far a reader of job events (the webhook dispatcher) has read. */
export interface EventCursorsTable {
  name: string;
  seq: ColumnType<string, number, number>;
}

export function eventFromRow(row: Selectable<JobEventsTable>): JobEvent {
  return {
    seq: Number(row.seq),
    jobId: row.job_id,
    ...optional('taskId', row.task_id),
    state: row.state as JobEvent['state'],
    at: iso(row.at),
  };
}
