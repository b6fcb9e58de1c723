import { hostname } from 'node:os';
import {
  DEFAULT_SECRET_POLICY,
  HEARTBEAT_INTERVAL_MS,
  NODE_LABEL,
  newId,
  noopMetrics,
  setLongTimeout,
  workerQueue,
  type Broker,
  type Keyring,
  type Logger,
  type Metrics,
  type Runtime,
  type SecretPolicy,
  type Subscription,
  type TaskRun,
  type WorkerPolicy,
} from '@tork/domain';
import { DeadWorkerCleanup } from './dead-worker-cleanup.js';
import { Heartbeats } from './heartbeats.js';
import type { LogShipperOptions } from './log-shipper.js';
import { OutcomeReports } from './outcome-reports.js';
import { QueueOccupancy } from './queue-occupancy.js';
import { RunningTasks } from './running-tasks.js';
import { RuntimeRecovery } from './runtime-recovery.js';
import { TaskExecution } from './task-execution.js';
import { WorkDeliveries } from './work-deliveries.js';
import type { DefaultLimits } from './task-runner.js';
import { WorkerCommands } from './worker-commands.js';

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
  /** How long a task runs before its start is reported on its own; a shorter one reports it with its end (default 100 ms). */
  readonly startReportDelayMs?: number;
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
  const running = new RunningTasks();
  const occupancy = new QueueOccupancy(deps.metrics ?? noopMetrics, options.queues);
  const reports = new OutcomeReports(deps.broker, logger);

  const work: Subscription[] = [];
  const closeWork = async (): Promise<void> => {
    await Promise.all(work.splice(0).map((subscription) => subscription.close()));
  };
  const recovery = new RuntimeRecovery({
    runtime: deps.runtime,
    logger,
    closeWork,
    resumeWork: () => subscribeWork(),
    pollIntervalMs: options.runtimePollIntervalMs,
  });
  const execution = new TaskExecution(
    {
      broker: deps.broker,
      runtime: deps.runtime,
      logger,
      now,
      nodeId,
      running,
      occupancy,
      reports,
      recovery,
    },
    {
      defaults: options.defaultLimits ?? {},
      policy: options.policy,
      labels: { ...options.labels, [NODE_LABEL]: nodeId },
      logs: options.logs,
      secretPolicy: options.secretPolicy ?? DEFAULT_SECRET_POLICY,
      keyring: options.keyring,
      testOnTaskArrived: options.testOnTaskArrived,
      startReportDelayMs: options.startReportDelayMs,
    },
  );
  const deliveries = new WorkDeliveries({ broker: deps.broker, logger, now, nodeId, execution });
  const subscribeWork = async (): Promise<void> => {
    for (const [queue, concurrency] of Object.entries(options.queues)) {
      work.push(
        await deps.broker.subscribe(queue, (message, delivery) => deliveries.handle(message, delivery), {
          concurrency,
          // Acknowledged at the task's start, not its end: a task may run longer than RabbitMQ holds a delivery.
          ack: 'manual',
          onGiveUp: (message, error) => deliveries.giveUp(message, error),
        }),
      );
    }
  };

  const cleanup = new DeadWorkerCleanup(deps.runtime, logger);
  const commandQueue = workerQueue(nodeId);
  const workerCommands = new WorkerCommands({ queue: commandQueue, running, cleanup, logger });
  const commands = await deps.broker.subscribe(commandQueue, (message) => workerCommands.handle(message), {
    concurrency: 1,
    exclusive: true,
  });
  await subscribeWork();
  const startedAt = now();
  const heartbeats = new Heartbeats(
    { broker: deps.broker, logger, now, runningTasks: () => running.size },
    { id: nodeId, queues: options.queues, version: options.version, startedAt },
  );
  heartbeats.start(options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
  logger.info({ queues: options.queues }, 'worker started');

  return {
    nodeId,
    hostname: hostname(),
    startedAt,
    runningTasks: () => running.size,
    healthCheck: () => recovery.healthCheck(),
    stop: async (stopOptions = {}) => {
      heartbeats.stop();
      cleanup.stop();
      recovery.stop();
      const drain =
        stopOptions.drainTimeoutMs === undefined
          ? undefined
          : setLongTimeout(() => {
              running.handBackAll();
            }, stopOptions.drainTimeoutMs);
      if (stopOptions.abort === true) running.handBackAll();
      await closeWork();
      drain?.clear();
      // A resume that began before the stop may have subscribed again.
      await recovery.settled();
      await closeWork();
      await reports.settled();
      await commands.close();
      logger.info({}, 'worker stopped');
    },
  };
}
