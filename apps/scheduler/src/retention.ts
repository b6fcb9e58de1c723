import type { SchedulerContext } from './scheduler-context.js';

export interface RetentionOptions {
  /** Task log entries written longer ago are deleted; 0 keeps them. */
  readonly retentionLogsMs: number;
  /** Finished jobs (COMPLETED, FAILED, CANCELLED) that ended longer ago are deleted with their tasks and logs; 0 keeps them. */
  readonly retentionJobsMs: number;
  /** Workers silent this long are forgotten, unless they still hold a RUNNING task. */
  readonly forgetNodesAfterMs: number;
  /** Rows per delete statement. */
  readonly retentionBatchSize: number;
  /** Statements per kind per round, so a round stays short and a backlog drains over rounds. */
  readonly retentionBatches: number;
  /** How often a round runs. */
  readonly retentionIntervalMs: number;
}

export const DEFAULT_RETENTION_OPTIONS: RetentionOptions = {
  retentionLogsMs: 168 * 3_600_000,
  retentionJobsMs: 2160 * 3_600_000,
  forgetNodesAfterMs: 3_600_000,
  retentionBatchSize: 1_000,
  retentionBatches: 5,
  retentionIntervalMs: 60_000,
};

export interface Retained {
  readonly logs: number;
  readonly jobs: number;
  readonly nodes: number;
}

/**
 * One round of retention at `ctx.now()`: old log entries, old finished jobs and long-silent
 * workers are deleted, each in at most `retentionBatches` statements of `retentionBatchSize` rows.
 */
export async function applyRetention(ctx: SchedulerContext, options: RetentionOptions): Promise<Retained> {
  const now = Date.parse(ctx.now());
  const before = (ms: number) => new Date(now - ms).toISOString();
  const inBatches = async (remove: (limit: number) => Promise<number>): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < options.retentionBatches; batch++) {
      const removed = await remove(options.retentionBatchSize);
      total += removed;
      if (removed < options.retentionBatchSize) break;
    }
    return total;
  };
  const { datastore } = ctx;
  const logs =
    options.retentionLogsMs > 0
      ? await inBatches((limit) => datastore.logs.deleteBefore(before(options.retentionLogsMs), limit))
      : 0;
  const jobs =
    options.retentionJobsMs > 0
      ? await inBatches((limit) => datastore.jobs.deleteFinished(before(options.retentionJobsMs), limit))
      : 0;
  const nodes = await datastore.nodes.prune(before(options.forgetNodesAfterMs));
  if (logs + jobs + nodes > 0) ctx.logger.info({ logs, jobs, nodes }, 'retention: deleted old records');
  return { logs, jobs, nodes };
}
