import type { Insertable, Selectable } from 'kysely';
import type { NodeInfo } from '@tork/domain';
import { iso, json, optional, type Json, type Timestamp } from './columns.js';

export interface NodesTable {
  id: string;
  hostname: string;
  queues: Json;
  running_tasks: number;
  cpu_percent: number | null;
  version: string | null;
  started_at: Timestamp;
  last_heartbeat_at: Timestamp;
}

export function nodeFromRow(row: Selectable<NodesTable>): NodeInfo {
  return {
    id: row.id,
    hostname: row.hostname,
    queues: row.queues as Record<string, number>,
    runningTasks: row.running_tasks,
    ...optional('cpuPercent', row.cpu_percent),
    ...optional('version', row.version),
    startedAt: iso(row.started_at),
    lastHeartbeatAt: iso(row.last_heartbeat_at),
  };
}

export function nodeToRow(node: NodeInfo): Insertable<NodesTable> {
  return {
    id: node.id,
    hostname: node.hostname,
    queues: json(node.queues),
    running_tasks: node.runningTasks,
    cpu_percent: node.cpuPercent ?? null,
    version: node.version ?? null,
    started_at: node.startedAt,
    last_heartbeat_at: node.lastHeartbeatAt,
  };
}
