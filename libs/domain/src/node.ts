/** A worker process as it reports itself in heartbeats. */
export interface NodeInfo {
  readonly id: string;
  readonly hostname: string;
  /** Queue name → concurrency. */
  readonly queues: Readonly<Record<string, number>>;
  readonly runningTasks: number;
  readonly startedAt: string;
  readonly lastHeartbeatAt: string;
}
