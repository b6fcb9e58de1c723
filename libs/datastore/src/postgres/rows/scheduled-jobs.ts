import type { Insertable, Selectable } from 'kysely';
import type { CreatedBy, ScheduledJob, ScheduledJobState } from '@tork/domain';
import {
  iso,
  isoOrNull,
  json,
  jsonOrNull,
  optional,
  type Json,
  type OptionalJson,
  type OptionalTimestamp,
  type Timestamp,
} from './columns.js';

export interface ScheduledJobsTable {
  id: string;
  state: ScheduledJobState;
  spec: Json;
  cron: string;
  timezone: string | null;
  created_at: Timestamp;
  created_by: OptionalJson;
  active_since: Timestamp;
  last_fired_at: OptionalTimestamp;
  next_fire_at: OptionalTimestamp;
}

export function scheduledJobFromRow(row: Selectable<ScheduledJobsTable>): ScheduledJob {
  return {
    id: row.id,
    spec: row.spec as ScheduledJob['spec'],
    schedule: { cron: row.cron, ...optional('timezone', row.timezone) },
    state: row.state,
    createdAt: iso(row.created_at),
    ...optional('createdBy', row.created_by as CreatedBy | null),
    activeSince: iso(row.active_since),
    ...optional('lastFiredAt', isoOrNull(row.last_fired_at)),
    ...optional('nextFireAt', isoOrNull(row.next_fire_at)),
  };
}

export function scheduledJobToRow(scheduled: ScheduledJob): Insertable<ScheduledJobsTable> {
  return {
    id: scheduled.id,
    state: scheduled.state,
    spec: json(scheduled.spec),
    cron: scheduled.schedule.cron,
    timezone: scheduled.schedule.timezone ?? null,
    created_at: scheduled.createdAt,
    created_by: jsonOrNull(scheduled.createdBy),
    active_since: scheduled.activeSince,
    last_fired_at: scheduled.lastFiredAt ?? null,
    next_fire_at: scheduled.nextFireAt ?? null,
  };
}
