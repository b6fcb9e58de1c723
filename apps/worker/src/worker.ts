import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  NODE_LABEL,
  decryptSecretEnv,
  DEFAULT_SECRET_POLICY,
  errorMessage,
  inSpan,
  markActiveSpanFailed,
  messageAttributes,
  newId,
  noopMetrics,
  HEARTBEAT_INTERVAL_MS,
  QUEUE,
  redactText,
  secretValues,
  setLongTimeout,
  SpanKind,
  workerQueue,
  type Attributes,
  type Broker,
  type Delivery,
  type Keyring,
  type Logger,
  type Message,
  type Metrics,
  type Runtime,
  type SecretPolicy,
  type Subscription,
  type TaskRun,
  type WorkerPolicy,
} from '@tork/domain';
import { cpuMeter } from './cpu-meter.js';
import { DeadWorkerCleanup } from './dead-worker-cleanup.js';
import { LogShipper, type LogShipperOptions } from './log-shipper.js';
import { failureOf } from './failure.js';
import { ProgressReporter } from './progress-reporter.js';
import { QueueOccupancy } from './queue-occupancy.js';
import { runTask, TaskAbort, type DefaultLimits, type TaskOutcome } from './task-runner.js';

/** While its runtime is down, a worker asks it this often whether it is back. */
export const RUNTIME_POLL_INTERVAL_MS = 3000;

export interface WorkerDeps {
  readonly broker: Broker;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly now?: () => string;
  /** Where running tasks and free slots per queue are reported; none by default. */
  readonly metrics?: Metrics;
}

export interface WorkerOptions {
  /** Queue name → how many of its tasks this worker runs at once. */
  readonly queues: Readonly<Record<string, number>>;
  readonly nodeId?: string;
  /** Labels on every container, volume and network the worker creates, besides its node's. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly defaultLimits?: DefaultLimits;
  /** Ceilings and bind prefixes; a task outside them fails with kind `rejected` (default: none). */
  readonly policy?: WorkerPolicy;
  /** While the runtime is down, how often to ask it whether it is back (default 3s). */
  readonly runtimePollIntervalMs?: number;
  readonly logs?: LogShipperOptions;
  readonly heartbeatIntervalMs?: number;
  /** The engine version the worker reports in its heartbeats. */
  readonly version?: string;
  /** Which env values are secret, to mask wherever they appear (default: DEFAULT_SECRET_POLICY). */
  readonly secretPolicy?: SecretPolicy;
  /** Decrypts the secret env values the API encrypted; without it such a task fails. */
  readonly keyring?: Keyring;
  /** Test only: awaited when a task arrives, before its start is reported (a fault test kills the process here). */
  readonly testOnTaskArrived?: (task: TaskRun) => Promise<void>;
}

export interface RunningWorker {
  readonly nodeId: string;
  readonly hostname: string;
  readonly startedAt: string;
  /** Tasks running now. */
  runningTasks(): number;
  /**
   * Rejects while the worker takes no tasks because its runtime is down (a task failed with kind
   * `runtime`), until the runtime answers again: for the health endpoint.
   */
  healthCheck(): Promise<void>;
  /**
   * Stops taking tasks. Tasks in flight finish; with `abort`, or once `drainTimeoutMs` has passed,
   * they are stopped and handed back to the scheduler, which runs them again elsewhere.
   */
  stop(options?: { abort?: boolean; drainTimeoutMs?: number }): Promise<void>;
}

/** Subscribes to the work queues and runs each task it receives through the runtime. */
export async function startWorker(deps: WorkerDeps, options: WorkerOptions): Promise<RunningWorker> {
  const nodeId = options.nodeId ?? newId();
  const now = deps.now ?? (() => new Date().toISOString());
  const logger = deps.logger.child({ nodeId });
  const running = new Map<string, AbortController>();
  const defaults = options.defaultLimits ?? {};
  const occupancy = new QueueOccupancy(deps.metrics ?? noopMetrics, options.queues);

  const reports = new Set<Promise<void>>();
  /** Publishes a task's outcome in the background; stop() waits for every report. */
  const report = (queue: string, message: Message): void => {
    const sent = deps.broker
      .publish(queue, message)
      .then(() => {
        logger.info(
          {
            jobId: 'jobId' in message ? message.jobId : undefined,
            taskId: 'taskId' in message ? message.taskId : undefined,
            type: message.type,
          },
          'task reported',
        );
      })
      .catch((error: unknown) => {
        // After the broker's own outage wait: the task stays RUNNING until its deadline, if it has one.
        logger.error({ type: message.type, err: errorMessage(error) }, 'could not report a task outcome');
      })
      .finally(() => reports.delete(sent));
    reports.add(sent);
  };

  const secretPolicy = options.secretPolicy ?? DEFAULT_SECRET_POLICY;
  let unavailable: string | undefined;
  let stopping = false;

  const execute = async (sealed: TaskRun, delivery: Delivery): Promise<void> => {
    if (running.has(sealed.id)) return; // the same delivery twice on one worker
    if (unavailable !== undefined) {
      // Taken just before the runtime went down: back on its queue for a healthy worker, no attempt spent.
      const priority = sealed.spec.priority;
      await deps.broker.publish(
        sealed.queue,
        { type: 'task.run', task: sealed },
        priority === undefined ? undefined : { priority },
      );
      delivery.ack();
      return;
    }
    await options.testOnTaskArrived?.(sealed);
    const controller = new AbortController();
    running.set(sealed.id, controller);
    occupancy.started(sealed.queue);
    const ids = { jobId: sealed.jobId, taskId: sealed.id, nodeId };
    const taskLog = logger.child({ jobId: sealed.jobId, taskId: sealed.id });
    try {
      let task: TaskRun;
      let secrets: string[];
      try {
        const unsealed = decryptSecretEnv(sealed.spec, options.keyring);
        task = { ...sealed, spec: unsealed.spec };
        secrets = secretValues(unsealed.spec, secretPolicy, [...unsealed.secrets, ...(sealed.masks ?? [])]);
      } catch (error) {
        // The task as sent cannot run on this worker (no key, a wrong one): never retried.
        const reason = errorMessage(error);
        report(QUEUE.error, {
          type: 'task.failed',
          ...ids,
          error: reason,
          failure: failureOf({ error: new TaskAbort('rejected', reason) }),
          at: now(),
        });
        return;
      }
      const startedAt = now();
      const timeout = task.spec.timeout === undefined ? {} : { timeout: task.spec.timeout };
      await deps.broker.publish(QUEUE.started, { type: 'task.started', ...ids, ...timeout, at: startedAt });
      // The start is durable: should this worker die from here on, the scheduler's dead-worker sweep
      // runs the task again; before it, the broker would have delivered it again.
      delivery.ack();
      taskLog.info({ queue: task.queue, image: task.spec.image }, 'task started');
      const shipper = new LogShipper(deps.broker, task, secrets, taskLog, options.logs);
      const progress = new ProgressReporter((percent) => {
        report(QUEUE.progress, {
          type: 'task.progress',
          jobId: task.jobId,
          taskId: task.id,
          progress: percent,
          at: now(),
        });
      });
      let outcome: TaskOutcome;
      try {
        outcome = await runTask(deps.runtime, task, {
          defaults,
          ...(options.policy === undefined ? {} : { policy: options.policy }),
          labels: { ...options.labels, [NODE_LABEL]: nodeId },
          signal: controller.signal,
          onOutput: (chunk) => {
            shipper.write(chunk);
          },
          onProgress: (percent) => {
            progress.update(percent);
          },
        });
      } finally {
        progress.close();
        await shipper.close();
      }
      // Results and errors (with the task's last output lines) may print a secret: masked before they leave.
      const steps = outcome.steps.map((step) =>
        step.error === undefined ? step : { ...step, error: redactText(step.error, secrets) },
      );
      const message: Message = outcome.ok
        ? {
            type: 'task.completed',
            ...ids,
            result: redactText(outcome.result, secrets),
            steps,
            startedAt,
            at: now(),
          }
        : {
            type: 'task.failed',
            ...ids,
            error: redactText(outcome.error, secrets),
            failure: outcome.failure,
            steps,
            startedAt,
            at: now(),
          };
      // The slot is free once the container is done: the report goes on without holding it.
      report(message.type === 'task.completed' ? QUEUE.completed : QUEUE.error, message);
      if (message.type === 'task.failed') markActiveSpanFailed(message.error);
      if (!outcome.ok && outcome.failure.kind === 'runtime') pauseWork(outcome.error);
    } catch (error) {
      if (error instanceof TaskAbort && error.kind === 'cancelled') {
        taskLog.info({}, 'task cancelled');
        return;
      }
      if (error instanceof TaskAbort && error.kind === 'shutdown') {
        // Hand the task back: the scheduler runs it again on another worker at once.
        const reason = `worker ${nodeId} shut down while running the task`;
        await deps.broker.publish(QUEUE.error, {
          type: 'task.failed',
          ...ids,
          error: reason,
          failure: failureOf({ error }),
          workerLost: true,
          at: now(),
        });
        taskLog.info({}, 'task handed back');
        return;
      }
      throw error;
    } finally {
      running.delete(sealed.id);
      occupancy.ended(sealed.queue);
    }
  };

  const onMessage = async (message: Message, delivery: Delivery): Promise<void> => {
    if (message.type !== 'task.run') {
      logger.warn({ type: message.type }, 'message of an unexpected type on a work queue; dropping it');
      return;
    }
    const task = message.task;
    await inSpan(
      'worker run',
      SpanKind.CONSUMER,
      () => runAttributes(task, nodeId),
      () => execute(task, delivery),
    );
  };

  const cleanup = new DeadWorkerCleanup(deps.runtime, logger);

  const commandQueue = workerQueue(nodeId);
  const onCommand = (message: Message): Promise<void> =>
    inSpan(
      `worker ${message.type}`,
      SpanKind.CONSUMER,
      () => messageAttributes(commandQueue, message),
      () => command(message),
    );
  const command = async (message: Message): Promise<void> => {
    switch (message.type) {
      case 'task.cancel':
        running.get(message.taskId)?.abort(new TaskAbort('cancelled', 'task cancelled'));
        return;
      case 'node.lost':
        await cleanup.nodeLost(message.nodeId);
        return;
      default:
        logger.warn({ type: message.type }, 'message of an unexpected type on the worker queue; dropping it');
    }
  };

  const commands = await deps.broker.subscribe(commandQueue, onCommand, {
    concurrency: 1,
    exclusive: true,
  });
  const work: Subscription[] = [];
  const subscribeWork = async (): Promise<void> => {
    for (const [queue, concurrency] of Object.entries(options.queues)) {
      work.push(
        await deps.broker.subscribe(queue, onMessage, {
          concurrency,
          // Acknowledged at the task's start, not its end: a task may run longer than RabbitMQ holds a delivery.
          ack: 'manual',
          onGiveUp: async (message, error) => {
            if (message.type !== 'task.run') return;
            // Users see a stable reason; the broker's own words stay in this worker's log.
            logger.error(
              { jobId: message.task.jobId, taskId: message.task.id, err: errorMessage(error) },
              'giving up on a task',
            );
            const reason = 'the worker could not start the task (its log has the details)';
            await deps.broker.publish(QUEUE.error, {
              type: 'task.failed',
              jobId: message.task.jobId,
              taskId: message.task.id,
              nodeId,
              error: reason,
              at: now(),
            });
          },
        }),
      );
    }
  };

  const recovery = new AbortController();
  let recovering: Promise<void> | undefined;
  /**
   * The runtime is down (not the tasks' fault): take no tasks until it answers again. Called from a
   * task's handler, so the work subscriptions' close (which waits for that handler) is not awaited.
   */
  const pauseWork = (reason: string): void => {
    if (unavailable !== undefined || stopping) return;
    unavailable = reason;
    logger.warn({ err: reason }, 'runtime unavailable: taking no tasks until it answers again');
    const closing = Promise.all(work.splice(0).map((subscription) => subscription.close()));
    const waitForRuntime = async (): Promise<void> => {
      for (;;) {
        await sleep(options.runtimePollIntervalMs ?? RUNTIME_POLL_INTERVAL_MS, undefined, {
          signal: recovery.signal,
        });
        try {
          await deps.runtime.healthCheck();
          return;
        } catch (error) {
          unavailable = errorMessage(error);
        }
      }
    };
    recovering = Promise.all([closing, waitForRuntime()])
      .then(async () => {
        unavailable = undefined;
        if (stopping) return;
        await subscribeWork();
        logger.info({}, 'runtime available again: taking tasks');
      })
      .catch((error: unknown) => {
        if (recovery.signal.aborted) return;
        // Unhealthy for good: the health endpoint says so, and an orchestrator restarts the worker.
        unavailable = `could not take tasks again: ${errorMessage(error)}`;
        logger.error({ err: errorMessage(error) }, 'could not resume taking tasks');
      })
      .finally(() => {
        recovering = undefined;
      });
  };

  await subscribeWork();
  const startedAt = now();
  const measureCpu = cpuMeter();
  const heartbeat = (): Promise<void> =>
    deps.broker.publish(QUEUE.heartbeat, {
      type: 'node.heartbeat',
      node: {
        id: nodeId,
        hostname: hostname(),
        queues: options.queues,
        runningTasks: running.size,
        cpuPercent: measureCpu(),
        ...(options.version === undefined ? {} : { version: options.version }),
        startedAt,
        lastHeartbeatAt: now(),
      },
    });
  const beat = (): void => {
    heartbeat().catch((error: unknown) => {
      logger.warn({ err: errorMessage(error) }, 'heartbeat failed');
    });
  };
  beat();
  const heartbeats = setInterval(beat, options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
  logger.info({ queues: options.queues }, 'worker started');

  return {
    nodeId,
    hostname: hostname(),
    startedAt,
    runningTasks: () => running.size,
    healthCheck: () =>
      unavailable === undefined
        ? Promise.resolve()
        : Promise.reject(new Error(`runtime unavailable: ${unavailable}`)),
    stop: async (stopOptions = {}) => {
      stopping = true;
      clearInterval(heartbeats);
      cleanup.stop();
      recovery.abort();
      const handBack = (): void => {
        for (const controller of running.values())
          controller.abort(new TaskAbort('shutdown', 'worker shutting down'));
      };
      const drain =
        stopOptions.drainTimeoutMs === undefined
          ? undefined
          : setLongTimeout(handBack, stopOptions.drainTimeoutMs);
      if (stopOptions.abort === true) handBack();
      await Promise.all(work.splice(0).map((subscription) => subscription.close()));
      drain?.clear();
      // A resume that began before the stop may have subscribed again.
      await recovering;
      await Promise.all(work.splice(0).map((subscription) => subscription.close()));
      await Promise.allSettled([...reports]);
      await commands.close();
      logger.info({}, 'worker stopped');
    },
  };
}

/** What the span of a task's run is tagged with. */
function runAttributes(task: TaskRun, nodeId: string): Attributes {
  return {
    'messaging.destination.name': task.queue,
    'tork.job.id': task.jobId,
    'tork.task.id': task.id,
    'tork.task.attempt': task.attempt,
    'tork.node.id': nodeId,
    ...(task.spec.image === undefined ? {} : { 'tork.task.image': task.spec.image }),
  };
}
