import { errorMessage, jobChange, QUEUE, taskChange, type Message, type Subscription } from '@tork/domain';
import { handleCompleted } from './handlers/completed.js';
import { handleError } from './handlers/error.js';
import { handleJobs } from './handlers/jobs.js';
import { handlePending } from './handlers/pending.js';
import { handleStarted } from './handlers/started.js';
import type { SchedulerContext } from './scheduler-context.js';

export interface SchedulerOptions {
  /** Messages of each coordinator queue handled at once by this process. */
  readonly concurrency?: number;
}

export interface RunningScheduler {
  /** Stops taking messages and waits for the handlers in flight. */
  stop(): Promise<void>;
}

const DEFAULT_CONCURRENCY = 16;

/** Subscribes the scheduler's handlers to the coordinator queues. */
export async function startScheduler(
  ctx: SchedulerContext,
  options: SchedulerOptions = {},
): Promise<RunningScheduler> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const queues = [QUEUE.jobs, QUEUE.pending, QUEUE.started, QUEUE.completed, QUEUE.error] as const;
  const subscriptions: Subscription[] = [];
  for (const queue of queues) {
    subscriptions.push(
      await ctx.broker.subscribe(queue, (message) => dispatch(ctx, queue, message), {
        concurrency,
        onGiveUp: (message, error) => giveUp(ctx, queue, message, error),
      }),
    );
  }
  ctx.logger.info({ queues, concurrency }, 'scheduler started');
  return {
    stop: async () => {
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
    case 'task.run':
    case 'task.cancel':
    case 'node.heartbeat':
    case 'task.log':
      ctx.logger.warn({ queue, type: message.type }, 'message of an unexpected type; dropping it');
      return;
  }
}

/**
 * A message whose handler kept failing: rather than lose it silently, its task and job fail
 * with the reason, where users look.
 */
async function giveUp(ctx: SchedulerContext, queue: string, message: Message, error: unknown): Promise<void> {
  const reason = `the scheduler could not handle a ${message.type} message: ${errorMessage(error)}`;
  ctx.logger.error({ queue, message, err: errorMessage(error) }, 'giving up on a message');
  const at = ctx.now();
  if ('taskId' in message)
    await ctx.datastore.updateTask(message.taskId, taskChange('fail', at, { error: reason }));
  if ('jobId' in message)
    await ctx.datastore.updateJob(message.jobId, jobChange('fail', at, { error: reason }));
}
