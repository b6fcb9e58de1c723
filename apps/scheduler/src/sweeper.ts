import {
  errorMessage,
  formatDuration,
  NODE_DEAD_AFTER_MS,
  nodeStatus,
  onDeadlinePassed,
  onWorkerLost,
  QUEUE,
  workerQueue,
} from '@tork/domain';
import { applyRetention, DEFAULT_RETENTION_OPTIONS, type RetentionOptions } from './retention.js';
import type { SchedulerContext } from './scheduler-context.js';
import type { WorkflowRunner } from './workflow-runner.js';

export interface SweepOptions extends RetentionOptions {
  /** How often the sweeps run. */
  readonly intervalMs: number;
  /** A PENDING job or task this much past due is taken as lost in transit and sent again. */
  readonly lostAfterMs: number;
  /** Records handled per sweep, so one sweep stays short. */
  readonly batchSize: number;
  /** A worker silent this long is taken as dead. */
  readonly deadAfterMs: number;
  /** A task sent to its queue that no worker has started this long after is sent again. */
  readonly scheduledTimeoutMs: number;
}

export const DEFAULT_SWEEP_OPTIONS: SweepOptions = {
  intervalMs: 1000,
  lostAfterMs: 30_000,
  batchSize: 500,
  deadAfterMs: NODE_DEAD_AFTER_MS,
  scheduledTimeoutMs: 5 * 60_000,
  ...DEFAULT_RETENTION_OPTIONS,
};

/**
 * Periodic repairs that make the engine's timing durable: everything they act on lives in the
 * datastore, so they make good what a crashed process left undone.
 * - a retry whose delay has passed (its timer died with its process) is handed on;
 * - a job or task whose message was lost is sent again (handlers are idempotent, so a duplicate is harmless);
 * - a task marked SCHEDULED whose `task.run` was never confirmed (its scheduler stopped in between) is sent;
 * - a task sent that no worker started within `scheduledTimeoutMs` is sent again, once per that bound;
 * - a RUNNING task past its deadline (its worker died or hung) fails as timed out;
 * - the RUNNING tasks of a dead worker run again elsewhere;
 * - jobs past their `autoDelete` time are deleted.
 * Retention (old logs, finished jobs, silent workers) runs on its own, slower timer (startSweeper).
 */
export async function sweep(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  options: SweepOptions,
): Promise<void> {
  const { jobs, tasks } = ctx.datastore;
  const now = Date.parse(ctx.now());
  const nowIso = new Date(now).toISOString();
  const lostBefore = new Date(now - options.lostAfterMs).toISOString();

  // A retry's own timer publishes it on time; one a second late lost its timer. A task without a
  // delay is sent at once; one still PENDING after lostAfterMs lost its message. Two queries, so a
  // backlog of fresh tasks is never read back every second.
  const late = new Date(now - 1000).toISOString();
  const duePending = [
    ...(await tasks.find({ states: ['PENDING'], dueBy: late, delayedOnly: true, limit: options.batchSize })),
    ...(await tasks.find({ states: ['PENDING'], dueBy: lostBefore, limit: options.batchSize })),
  ];
  const seen = new Set<string>();
  for (const task of duePending) {
    if (seen.has(task.id)) continue;
    seen.add(task.id);
    await ctx.broker.publish(QUEUE.pending, { type: 'task.pending', jobId: task.jobId, taskId: task.id });
  }

  const unsent = await tasks.find({
    states: ['SCHEDULED'],
    unpublishedBy: lostBefore,
    limit: options.batchSize,
  });
  for (const task of unsent) {
    ctx.logger.warn(
      { jobId: task.jobId, taskId: task.id, scheduledAt: task.scheduledAt },
      'scheduled task was never sent; sending it',
    );
    await runner.send(task);
  }

  // Its message went with a worker that died holding it, or waits on a queue nobody serves yet. A
  // second copy is harmless: the start is a compare-and-set and a second starter is told to cancel.
  // Sending marks it published again, so the next copy waits a whole bound.
  const notStarted = await tasks.find({
    states: ['SCHEDULED'],
    publishedBy: new Date(now - options.scheduledTimeoutMs).toISOString(),
    limit: options.batchSize,
  });
  for (const task of notStarted) {
    ctx.logger.warn(
      { jobId: task.jobId, taskId: task.id, queue: task.queue, publishedAt: task.publishedAt },
      `no worker started the task within ${formatDuration(options.scheduledTimeoutMs)}; sending it again`,
    );
    await runner.send(task);
  }

  const lostJobs = await jobs.find({
    states: ['PENDING'],
    createdBefore: lostBefore,
    limit: options.batchSize,
  });
  for (const job of lostJobs) await ctx.broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });

  const overdue = await tasks.find({ states: ['RUNNING'], deadlineBy: nowIso, limit: options.batchSize });
  for (const task of overdue) {
    ctx.logger.warn(
      { jobId: task.jobId, taskId: task.id, nodeId: task.nodeId },
      'task overdue; failed by the scheduler',
    );
    await runner.run(onDeadlinePassed(task, nowIso));
  }

  await recoverFromDeadWorkers(ctx, runner, now, options);

  const deleted = await jobs.deleteExpired(nowIso, options.batchSize);
  if (deleted > 0) ctx.logger.info({ deleted }, 'deleted jobs past their autoDelete time');
}

/**
 * A worker silent for `deadAfterMs` is dead: its RUNNING tasks fail with the reason and run again
 * on another worker, and live workers remove any container it left running. A late message from
 * the dead worker then changes nothing: its tasks are no longer RUNNING.
 */
async function recoverFromDeadWorkers(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  now: number,
  options: SweepOptions,
): Promise<void> {
  // The workers heard from lately, and the silent ones that still hold a RUNNING task: not every worker ever.
  const nodes = await ctx.datastore.nodes.list({
    heartbeatSince: new Date(now - options.deadAfterMs).toISOString(),
  });
  const dead = nodes.filter((node) => nodeStatus(node, now, options.deadAfterMs) === 'OFFLINE');
  if (dead.length === 0) return;
  const orphaned = await ctx.datastore.tasks.find({
    states: ['RUNNING'],
    nodeIds: dead.map((node) => node.id),
    limit: options.batchSize,
  });
  const lostNodes = new Set<string>();
  for (const task of orphaned) {
    const node = dead.find((candidate) => candidate.id === task.nodeId);
    ctx.logger.warn(
      { jobId: task.jobId, taskId: task.id, nodeId: task.nodeId },
      'worker presumed dead; running its task again',
    );
    if (task.nodeId !== undefined) lostNodes.add(task.nodeId);
    await runner.run(onWorkerLost(task, node?.lastHeartbeatAt, new Date(now).toISOString()));
  }
  const alive = nodes.filter((node) => nodeStatus(node, now, options.deadAfterMs) === 'UP');
  for (const nodeId of lostNodes) {
    for (const survivor of alive) {
      await ctx.broker.publish(workerQueue(survivor.id), { type: 'node.lost', nodeId });
    }
  }
}

/**
 * Runs `sweep` every interval and retention every `retentionIntervalMs`, each on one scheduler
 * replica at a time; a failing round is logged and tried again next time.
 */
export function startSweeper(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  options: SweepOptions,
): { stop: () => Promise<void> } {
  const sweeps = repeat(ctx, 'tork.sweep', options.intervalMs, () => sweep(ctx, runner, options));
  const retention = repeat(ctx, 'tork.retention', options.retentionIntervalMs, async () => {
    await applyRetention(ctx, options);
  });
  return {
    stop: async () => {
      await Promise.all([sweeps.stop(), retention.stop()]);
    },
  };
}

function repeat(
  ctx: SchedulerContext,
  lock: string,
  intervalMs: number,
  work: () => Promise<void>,
): { stop: () => Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      // One scheduler replica runs it at a time; the others skip this round.
      ctx.datastore
        .runExclusive(lock, work)
        .then(() => undefined)
        .catch((error: unknown) => {
          ctx.logger.warn({ err: errorMessage(error), lock }, 'sweep failed; trying again');
        }),
    );
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
