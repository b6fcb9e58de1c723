import {
  endJob,
  errorMessage,
  inSpan,
  messageAttributes,
  noopMetrics,
  QUEUE,
  SpanKind,
  taskChange,
  type Keyring,
  type Message,
  type Metrics,
  type Subscription,
} from '@tork/domain';
import { handleCompleted } from './handlers/completed.js';
import { handleError } from './handlers/error.js';
import { handleHeartbeat } from './handlers/heartbeat.js';
import { handleJobs } from './handlers/jobs.js';
import { handleLogs } from './handlers/logs.js';
import { handlePending } from './handlers/pending.js';
import { handleProgress } from './handlers/progress.js';
import { handleStarted } from './handlers/started.js';
import { RetryTimers } from './retry-timers.js';
import type { SchedulerContext } from './scheduler-context.js';
import {
  DEFAULT_SCHEDULE_TICKER_OPTIONS,
  startScheduleTicker,
  type ScheduleTickerOptions,
} from './schedule-ticker.js';
import { DEFAULT_SWEEP_OPTIONS, startSweeper, type SweepOptions } from './sweeper.js';
import { startWebhooks, type RunningWebhooks, type WebhookOptions } from './webhooks/webhook-service.js';
import { WorkflowRunner } from './workflow-runner.js';

export interface SchedulerDeps {
  readonly datastore: SchedulerContext['datastore'];
  readonly broker: SchedulerContext['broker'];
  readonly logger: SchedulerContext['logger'];
  readonly now?: () => string;
  /** The engine's encryption keys: without them, a job's encrypted secrets read as `[encrypted]`. */
  readonly keyring?: Keyring;
  /** Where job and task transitions are counted; none by default. */
  readonly metrics?: Metrics;
}

export interface SchedulerOptions {
  /** Messages of each coordinator queue handled at once by this process. */
  readonly concurrency?: number;
  readonly sweep?: Partial<SweepOptions>;
  /** Webhook deliveries: signing secret, link-local policy, polling. */
  readonly webhooks?: WebhookOptions;
  readonly ticker?: Partial<ScheduleTickerOptions>;
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
  QUEUE.progress,
  QUEUE.heartbeat,
] as const;

/** Subscribes the scheduler's handlers to the coordinator queues and starts the sweeper. */
export async function startScheduler(
  deps: SchedulerDeps,
  options: SchedulerOptions = {},
): Promise<RunningScheduler> {
  const hooks: { running?: RunningWebhooks } = {};
  const ctx: SchedulerContext = {
    datastore: deps.datastore,
    broker: deps.broker,
    logger: deps.logger,
    now: deps.now ?? (() => new Date().toISOString()),
    retryTimers: new RetryTimers(deps.broker, deps.logger),
    metrics: deps.metrics ?? noopMetrics,
    ...(deps.keyring === undefined ? {} : { keyring: deps.keyring }),
    eventsRecorded: () => hooks.running?.nudge(),
    webhooksEnqueued: () => hooks.running?.deliveriesEnqueued(),
  };
  const runner = new WorkflowRunner(ctx);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const subscriptions: Subscription[] = [];
  for (const queue of QUEUES) {
    subscriptions.push(
      await ctx.broker.subscribe(
        queue,
        (message) => traced(queue, message, () => dispatch(ctx, runner, queue, message)),
        {
          concurrency,
          onGiveUp: (message, error) => giveUp(ctx, runner, queue, message, error),
        },
      ),
    );
  }
  const sweeper = startSweeper(ctx, runner, { ...DEFAULT_SWEEP_OPTIONS, ...options.sweep });
  const webhooks = startWebhooks(ctx, options.webhooks ?? {});
  hooks.running = webhooks;
  const ticker = startScheduleTicker(ctx, { ...DEFAULT_SCHEDULE_TICKER_OPTIONS, ...options.ticker });
  ctx.logger.info({ queues: QUEUES, concurrency }, 'scheduler started');
  return {
    stop: async () => {
      await ticker.stop();
      await sweeper.stop();
      ctx.retryTimers.stop();
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
      await webhooks.stop();
      ctx.logger.info({}, 'scheduler stopped');
    },
  };
}

/**
 * Handles a message inside a span `scheduler <queue>`, a child of the context it carries, so that
 * what the handler publishes carries the trace on. Heartbeats are liveness, not work: untraced.
 */
function traced(queue: string, message: Message, handle: () => Promise<void>): Promise<void> {
  if (queue === QUEUE.heartbeat) return handle();
  return inSpan(`scheduler ${queue}`, SpanKind.CONSUMER, () => messageAttributes(queue, message), handle);
}

async function dispatch(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  queue: string,
  message: Message,
): Promise<void> {
  switch (message.type) {
    case 'job.submitted':
    case 'job.cancel':
    case 'job.restart':
      return handleJobs(runner, message);
    case 'task.pending':
      return handlePending(runner, message);
    case 'task.started':
      return handleStarted(ctx, runner, message);
    case 'task.completed':
      return handleCompleted(ctx, runner, message);
    case 'task.failed':
      return handleError(ctx, runner, message);
    case 'task.log':
      return handleLogs(ctx, message);
    case 'task.progress':
      return handleProgress(ctx, message);
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
 * A message whose handler kept failing: rather than lose it silently, its task fails with a
 * stable reason, and the failure goes on as any other (the task retries, or its parent or job
 * fails); what went wrong (driver text naming hosts, users, queries) is in the scheduler's log.
 * Logs, progress and heartbeats are the exception: losing one fails nothing.
 */
async function giveUp(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  queue: string,
  message: Message,
  error: unknown,
): Promise<void> {
  ctx.logger.error(
    { queue, type: message.type, ...ids(message), err: errorMessage(error) },
    'giving up on a message',
  );
  if (message.type === 'task.log' || message.type === 'task.progress' || message.type === 'node.heartbeat')
    return;
  const error_ = `internal error: the scheduler could not handle a ${message.type} message (its log has the details)`;
  if ('taskId' in message && 'jobId' in message) {
    await runner.run([
      {
        type: 'updateTask',
        taskId: message.taskId,
        change: taskChange('fail', ctx.now(), { error: error_ }),
      },
      { type: 'then', event: { type: 'task.failed', jobId: message.jobId, taskId: message.taskId } },
    ]);
    return;
  }
  if ('jobId' in message) {
    // The job may be what could not be read: failing it needs only its id.
    const job = await ctx.datastore.jobs.get(message.jobId).catch(() => undefined);
    await runner.run(endJob(job ?? { id: message.jobId }, 'fail', ctx.now(), { error: error_ }));
  }
}

function ids(message: Message): { jobId?: string; taskId?: string } {
  return {
    ...('jobId' in message ? { jobId: message.jobId } : {}),
    ...('taskId' in message ? { taskId: message.taskId } : {}),
  };
}
