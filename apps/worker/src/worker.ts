import { hostname } from 'node:os';
import {
  NODE_LABEL,
  decryptSecretEnv,
  DEFAULT_SECRET_POLICY,
  errorMessage,
  newId,
  HEARTBEAT_INTERVAL_MS,
  QUEUE,
  redactText,
  secretValues,
  setLongTimeout,
  workerQueue,
  type Broker,
  type Delivery,
  type Keyring,
  type Logger,
  type Message,
  type Runtime,
  type SecretPolicy,
  type Subscription,
  type TaskRun,
} from '@tork/domain';
import { LogShipper, type LogShipperOptions } from './log-shipper.js';
import { runTask, TaskAbort, type DefaultLimits, type TaskOutcome } from './task-runner.js';

export interface WorkerDeps {
  readonly broker: Broker;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly now?: () => string;
}

export interface WorkerOptions {
  /** Queue name → how many of its tasks this worker runs at once. */
  readonly queues: Readonly<Record<string, number>>;
  readonly nodeId?: string;
  readonly defaultLimits?: DefaultLimits;
  readonly logs?: LogShipperOptions;
  readonly heartbeatIntervalMs?: number;
  /** Which env values are secret, to mask wherever they appear (default: DEFAULT_SECRET_POLICY). */
  readonly secretPolicy?: SecretPolicy;
  /** Decrypts the secret env values the API encrypted; without it such a task fails. */
  readonly keyring?: Keyring;
  /** Test only: awaited when a task arrives, before its start is reported (a fault test kills the process here). */
  readonly testOnTaskArrived?: (task: TaskRun) => Promise<void>;
}

/** The label that ties a task container to the worker that runs it, so survivors can clean up after a dead worker. */

export interface RunningWorker {
  readonly nodeId: string;
  readonly hostname: string;
  readonly startedAt: string;
  /** Tasks running now. */
  runningTasks(): number;
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

  const reports = new Set<Promise<void>>();
  /** Publishes a task's outcome in the background; stop() waits for every report. */
  const report = (queue: string, message: Message): void => {
    const sent = deps.broker
      .publish(queue, message)
      .then(() => {
        logger.info(
          { taskId: 'taskId' in message ? message.taskId : undefined, type: message.type },
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

  const policy = options.secretPolicy ?? DEFAULT_SECRET_POLICY;

  const execute = async (sealed: TaskRun, delivery: Delivery): Promise<void> => {
    if (running.has(sealed.id)) return; // the same delivery twice on one worker
    await options.testOnTaskArrived?.(sealed);
    const controller = new AbortController();
    running.set(sealed.id, controller);
    const ids = { jobId: sealed.jobId, taskId: sealed.id, nodeId };
    try {
      let task: TaskRun;
      let secrets: string[];
      try {
        const unsealed = decryptSecretEnv(sealed.spec, options.keyring);
        task = { ...sealed, spec: { ...unsealed.spec, image: sealed.spec.image } };
        secrets = secretValues(unsealed.spec, policy, [...unsealed.secrets, ...(sealed.masks ?? [])]);
      } catch (error) {
        report(QUEUE.error, { type: 'task.failed', ...ids, error: errorMessage(error), at: now() });
        return;
      }
      const startedAt = now();
      const timeout = task.spec.timeout === undefined ? {} : { timeout: task.spec.timeout };
      await deps.broker.publish(QUEUE.started, { type: 'task.started', ...ids, ...timeout, at: startedAt });
      // The start is durable: should this worker die from here on, the scheduler's dead-worker sweep
      // runs the task again; before it, the broker would have delivered it again.
      delivery.ack();
      logger.info({ taskId: task.id, queue: task.queue, image: task.spec.image }, 'task started');
      const shipper = new LogShipper(deps.broker, task, secrets, logger, options.logs);
      let outcome: TaskOutcome;
      try {
        outcome = await runTask(deps.runtime, task, {
          defaults,
          labels: { [NODE_LABEL]: nodeId },
          signal: controller.signal,
          onOutput: (chunk) => {
            shipper.write(chunk);
          },
        });
      } finally {
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
            steps,
            startedAt,
            at: now(),
          };
      // The slot is free once the container is done: the report goes on without holding it.
      report(message.type === 'task.completed' ? QUEUE.completed : QUEUE.error, message);
    } catch (error) {
      if (error instanceof TaskAbort && error.kind === 'cancelled') {
        logger.info({ taskId: sealed.id }, 'task cancelled');
        return;
      }
      if (error instanceof TaskAbort && error.kind === 'shutdown') {
        // Hand the task back: the scheduler runs it again on another worker at once.
        const reason = `worker ${nodeId} shut down while running the task`;
        await deps.broker.publish(QUEUE.error, {
          type: 'task.failed',
          ...ids,
          error: reason,
          workerLost: true,
          at: now(),
        });
        logger.info({ taskId: sealed.id }, 'task handed back');
        return;
      }
      throw error;
    } finally {
      running.delete(sealed.id);
    }
  };

  const onMessage = async (message: Message, delivery: Delivery): Promise<void> => {
    if (message.type !== 'task.run') {
      logger.warn({ type: message.type }, 'message of an unexpected type on a work queue; dropping it');
      return;
    }
    await execute(message.task, delivery);
  };

  const onCommand = async (message: Message): Promise<void> => {
    switch (message.type) {
      case 'task.cancel':
        running.get(message.taskId)?.abort(new TaskAbort('cancelled', 'task cancelled'));
        return;
      case 'node.lost': {
        const removed = await deps.runtime.removeLeftovers({ [NODE_LABEL]: message.nodeId });
        if (removed.containers + removed.volumes + removed.networks > 0)
          logger.info({ deadNodeId: message.nodeId, ...removed }, 'removed what a dead worker left behind');
        return;
      }
      default:
        logger.warn({ type: message.type }, 'message of an unexpected type on the worker queue; dropping it');
    }
  };

  const subscriptions: Subscription[] = [];
  subscriptions.push(
    await deps.broker.subscribe(workerQueue(nodeId), onCommand, { concurrency: 1, exclusive: true }),
  );
  for (const [queue, concurrency] of Object.entries(options.queues)) {
    subscriptions.push(
      await deps.broker.subscribe(queue, onMessage, {
        concurrency,
        // Acknowledged at the task's start, not its end: a task may run longer than RabbitMQ holds a delivery.
        ack: 'manual',
        onGiveUp: async (message, error) => {
          if (message.type !== 'task.run') return;
          // Users see a stable reason; the broker's own words stay in this worker's log.
          logger.error({ taskId: message.task.id, err: errorMessage(error) }, 'giving up on a task');
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
  const startedAt = now();
  const heartbeat = (): Promise<void> =>
    deps.broker.publish(QUEUE.heartbeat, {
      type: 'node.heartbeat',
      node: {
        id: nodeId,
        hostname: hostname(),
        queues: options.queues,
        runningTasks: running.size,
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
    stop: async (stopOptions = {}) => {
      clearInterval(heartbeats);
      const [commands, ...work] = subscriptions;
      const handBack = (): void => {
        for (const controller of running.values())
          controller.abort(new TaskAbort('shutdown', 'worker shutting down'));
      };
      const drain =
        stopOptions.drainTimeoutMs === undefined
          ? undefined
          : setLongTimeout(handBack, stopOptions.drainTimeoutMs);
      if (stopOptions.abort === true) handBack();
      await Promise.all(work.map((subscription) => subscription.close()));
      drain?.clear();
      await Promise.allSettled([...reports]);
      await commands?.close();
      logger.info({}, 'worker stopped');
    },
  };
}
