import { errorMessage, jobChange, QUEUE, taskChange, type Message, type Subscription } from '@tork/domain';
import { handleCompleted } from './handlers/completed.js';
import { handleError } from './handlers/error.js';
import { handleHeartbeat } from './handlers/heartbeat.js';
import { handleJobs } from './handlers/jobs.js';
import { handleLogs } from './handlers/logs.js';
import { handlePending } from './handlers/pending.js';
import { handleStarted } from './handlers/started.js';
import { RetryTimers } from './retry-timers.js';
import type { SchedulerContext } from './scheduler-context.js';
import { DEFAULT_SWEEP_OPTIONS, startSweeper, type SweepOptions } from './sweeper.js';

export interface SchedulerDeps {
  readonly datastore: SchedulerContext['datastore'];
  readonly broker: SchedulerContext['broker'];
  readonly logger: SchedulerContext['logger'];
  readonly now?: () => string;
}

export interface SchedulerOptions {
  /** Messages of each coordinator queue handled at once by this process. */
  readonly concurrency?: number;
  readonly sweep?: Partial<SweepOptions>;
}

export interface RunningScheduler {
  /** Stops taking messages and waits for the handlers in flight. */
  stop(): Promise<void>;
}

/** Handlers wait mostly on the broker's confirms and the datastore: many may wait at once. */
const DEFAULT_CONCURRENCY = 64;

const QUEUES = [
  QUEUE.jobs,
  QUEUE.pending,
  QUEUE.started,
  QUEUE.completed,
  QUEUE.error,
  QUEUE.logs,
  QUEUE.heartbeat,
] as const;

/** Subscribes the scheduler's handlers to the coordinator queues and starts the sweeper. */
export async function startScheduler(
  deps: SchedulerDeps,
  options: SchedulerOptions = {},
): Promise<RunningScheduler> {
  const ctx: SchedulerContext = {
    datastore: deps.datastore,
    broker: deps.broker,
    logger: deps.logger,
    now: deps.now ?? (() => new Date().toISOString()),
    retryTimers: new RetryTimers(deps.broker, deps.logger),
  };
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const subscriptions: Subscription[] = [];
  for (const queue of QUEUES) {
    subscriptions.push(
      await ctx.broker.subscribe(queue, (message) => dispatch(ctx, queue, message), {
        concurrency,
        onGiveUp: (message, error) => giveUp(ctx, queue, message, error),
      }),
    );
  }
  const sweeper = startSweeper(ctx, { ...DEFAULT_SWEEP_OPTIONS, ...options.sweep });
  ctx.logger.info({ queues: QUEUES, concurrency }, 'scheduler started');
  return {
    stop: async () => {
      await sweeper.stop();
      ctx.retryTimers.stop();
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
      ctx.logger.info({}, 'scheduler stopped');
    },
  };
}

async function dispatch(ctx: SchedulerContext, queue: string, message: Message): Promise<void> {
  switch (message.type) {
    case 'job.submitted':
    case 'job.cancel':
      return handleJobs(ctx, message);
    case 'task.pending':
      return handlePending(ctx, message);
    case 'task.started':
      return handleStarted(ctx, message);
    case 'task.completed':
      return handleCompleted(ctx, message);
    case 'task.failed':
      return handleError(ctx, message);
    case 'task.log':
      return handleLogs(ctx, message);
    case 'node.heartbeat':
      return handleHeartbeat(ctx, message);
    case 'task.run':
    case 'task.cancel':
    case 'node.lost':
      ctx.logger.warn({ queue, type: message.type }, 'message of an unexpected type; dropping it');
      return;
  }
}

/**
 * A message whose handler kept failing: rather than lose it silently, its task and job fail
 * where users look, with a stable reason; what went wrong (driver text naming hosts, users,
 * queries) is in the scheduler's log. Logs are the exception: losing a log part fails nothing.
 */
async function giveUp(ctx: SchedulerContext, queue: string, message: Message, error: unknown): Promise<void> {
  const reason = `internal error: the scheduler could not handle a ${message.type} message (its log has the details)`;
  ctx.logger.error(
    { queue, type: message.type, ...ids(message), err: errorMessage(error) },
    'giving up on a message',
  );
  if (message.type === 'task.log' || message.type === 'node.heartbeat') return;
  const at = ctx.now();
  if ('taskId' in message)
    await ctx.datastore.updateTask(message.taskId, taskChange('fail', at, { error: reason }));
  if ('jobId' in message)
    await ctx.datastore.updateJob(message.jobId, jobChange('fail', at, { error: reason }));
}

function ids(message: Message): { jobId?: string; taskId?: string } {
  return {
    ...('jobId' in message ? { jobId: message.jobId } : {}),
    ...('taskId' in message ? { taskId: message.taskId } : {}),
  };
}
