import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { TaskLogEntry } from '@tork/domain';
import { iso, text, type Timestamp } from './columns.js';

export interface TaskLogsTable {
  seq: ColumnType<string, never, never>;
  job_id: string | null;
  task_id: string;
  number: number;
  stream: TaskLogEntry['stream'];
  text: string;
  at: Timestamp;
}

export function logFromRow(row: Selectable<TaskLogsTable>): TaskLogEntry {
  return { taskId: row.task_id, number: row.number, stream: row.stream, text: row.text, at: iso(row.at) };
}

export function logToRow(jobId: string, entry: TaskLogEntry): Insertable<TaskLogsTable> {
  return {
    job_id: jobId,
    task_id: entry.taskId,
    number: entry.number,
    stream: entry.stream,
    text: text(entry.text) ?? '',
    at: entry.at,
  };
}
