import type { ColumnType, Selectable } from 'kysely';
import type { WebhookDelivery, WebhookDeliveryState, WebhookEvent } from '@tork/domain';
import { iso, optional, type OptionalTimestamp, type Timestamp } from './columns.js';

export interface WebhookDeliveriesTable {
  id: string;
  /** Null for a progress delivery. */
  event_seq: ColumnType<string | null, number | null | undefined, never>;
  webhook_index: number;
  job_id: string;
  task_id: string | null;
  event: WebhookEvent;
  body: string;
  state: WebhookDeliveryState;
  attempts: number;
  next_attempt_at: Timestamp;
  last_error: string | null;
  lease_owner: string | null;
  lease_until: OptionalTimestamp;
  created_at: Timestamp;
}

export function webhookDeliveryFromRow(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    ...optional('eventSeq', row.event_seq === null ? null : Number(row.event_seq)),
    webhookIndex: row.webhook_index,
    jobId: row.job_id,
    ...optional('taskId', row.task_id),
    event: row.event,
    body: row.body,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: iso(row.next_attempt_at),
    ...optional('lastError', row.last_error),
    createdAt: iso(row.created_at),
  };
}
