/** A worker process as it reports itself in heartbeats. */
export interface NodeInfo {
  readonly id: string;
  readonly hostname: string;
  /** Queue name → concurrency. */
  readonly queues: Readonly<Record<string, number>>;
  readonly runningTasks: number;
  /** The host's CPU use (0-100) over the last heartbeat interval, as Tork reports it. */
  readonly cpuPercent?: number;
  /** The worker's engine version. */
  readonly version?: string;
  readonly startedAt: string;
  readonly lastHeartbeatAt: string;
}

/** Workers send a heartbeat this often. */
export const HEARTBEAT_INTERVAL_MS = 5000;

/** A worker silent for this long (three missed heartbeats) is taken as dead. */
export const NODE_DEAD_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS;

export type NodeStatus = 'UP' | 'OFFLINE';

export function nodeStatus(node: NodeInfo, now: number, deadAfterMs = NODE_DEAD_AFTER_MS): NodeStatus {
  return Date.parse(node.lastHeartbeatAt) >= now - deadAfterMs ? 'UP' : 'OFFLINE';
}
