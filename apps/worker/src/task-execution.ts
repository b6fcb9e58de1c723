import {
  decryptSecretEnv,
  errorMessage,
  markActiveSpanFailed,
  QUEUE,
  redactText,
  secretValues,
  type Broker,
  type Delivery,
  type Keyring,
  type Logger,
  type Message,
  type Runtime,
  type SecretPolicy,
  type TaskRun,
  type WorkerPolicy,
} from '@tork/domain';
import { failureOf } from './failure.js';
import { LogShipper, type LogShipperOptions } from './log-shipper.js';
import type { OutcomeReports } from './outcome-reports.js';
import { ProgressReporter } from './progress-reporter.js';
import type { QueueOccupancy } from './queue-occupancy.js';
import type { RunningTasks } from './running-tasks.js';
import type { RuntimeRecovery } from './runtime-recovery.js';
import { START_REPORT_DELAY_MS, StartReport } from './start-report.js';
import { runTask, TaskAbort, type DefaultLimits, type TaskOutcome } from './task-runner.js';

export interface TaskExecutionDeps {
  readonly broker: Broker;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly now: () => string;
  readonly nodeId: string;
  readonly running: RunningTasks;
  readonly occupancy: QueueOccupancy;
  readonly reports: OutcomeReports;
  readonly recovery: RuntimeRecovery;
}

export interface TaskExecutionOptions {
  readonly defaults: DefaultLimits;
  readonly policy?: WorkerPolicy;
  /** Labels on every container and volume of a task, the node's own among them. */
  readonly labels: Readonly<Record<string, string>>;
  readonly logs?: LogShipperOptions;
  readonly secretPolicy: SecretPolicy;
  readonly keyring?: Keyring;
  readonly testOnTaskArrived?: (task: TaskRun) => Promise<void>;
  /** How long a task runs before its start is reported on its own (default START_REPORT_DELAY_MS). */
  readonly startReportDelayMs?: number;
}

/** The ids every report about one task carries. */
interface TaskIds {
  readonly jobId: string;
  readonly taskId: string;
  readonly nodeId: string;
}

/**
 * Runs a task from its delivery on a work queue: unseals its secrets, reports its start, runs it and
 * reports its outcome, or hands it back when the worker shuts down or its runtime is down.
 */
export class TaskExecution {
  constructor(
    private readonly deps: TaskExecutionDeps,
    private readonly options: TaskExecutionOptions,
  ) {}

  /** Runs a task taken from a work queue, unless this worker runs it already. */
  async execute(sealed: TaskRun, delivery: Delivery): Promise<void> {
    const { broker, running, occupancy, reports, recovery, now } = this.deps;
    if (running.has(sealed.id)) return; // the same delivery twice on one worker
    if (recovery.unavailable !== undefined) {
      // Taken just before the runtime went down: back on its queue for a healthy worker, no attempt spent.
      const priority = sealed.spec.priority;
      await broker.publish(
        sealed.queue,
        { type: 'task.run', task: sealed },
        priority === undefined ? undefined : { priority },
      );
      delivery.ack();
      return;
    }
    await this.options.testOnTaskArrived?.(sealed);
    const signal = running.add(sealed.id);
    occupancy.started(sealed.queue);
    const ids: TaskIds = { jobId: sealed.jobId, taskId: sealed.id, nodeId: this.deps.nodeId };
    const taskLog = this.deps.logger.child({ jobId: sealed.jobId, taskId: sealed.id });
    let start: StartReport | undefined;
    try {
      let task: TaskRun;
      let secrets: string[];
      try {
        const unsealed = decryptSecretEnv(sealed.spec, this.options.keyring);
        task = { ...sealed, spec: unsealed.spec };
        secrets = secretValues(unsealed.spec, this.options.secretPolicy, [
          ...unsealed.secrets,
          ...(sealed.masks ?? []),
        ]);
      } catch (error) {
        // The task as sent cannot run on this worker (no key, a wrong one): never retried.
        const reason = errorMessage(error);
        const failure = failureOf({ error: new TaskAbort('rejected', reason) });
        reports.send(QUEUE.error, { type: 'task.failed', ...ids, error: reason, failure, at: now() });
        return;
      }
      const startedAt = now();
      start = this.reportStartLater(task, ids, startedAt, delivery, taskLog);
      taskLog.info({ queue: task.queue, image: task.spec.image }, 'task started');
      const outcome = await this.run(task, secrets, signal, taskLog);
      const includesStart = !(await start.ended());
      const message = outcomeMessage(outcome, ids, secrets, startedAt, now(), includesStart);
      const queue = message.type === 'task.completed' ? QUEUE.completed : QUEUE.error;
      // Its start unreported, the task's delivery is let go of once its end is durable (this
      // handler's return acknowledges it); else the slot is free now, the report goes on without it.
      if (includesStart) await broker.publish(queue, message, { coalesce: true });
      else reports.send(queue, message);
      if (message.type === 'task.failed') markActiveSpanFailed(message.error);
      if (!outcome.ok && outcome.failure.kind === 'runtime') recovery.pause(outcome.error);
    } catch (error) {
      if (error instanceof TaskAbort && error.kind === 'cancelled') {
        taskLog.info({}, 'task cancelled');
        return;
      }
      if (error instanceof TaskAbort && error.kind === 'shutdown') {
        // Hand the task back: the scheduler runs it again on another worker at once.
        const reason = `worker ${this.deps.nodeId} shut down while running the task`;
        const failure = failureOf({ error });
        await broker.publish(QUEUE.error, {
          type: 'task.failed',
          ...ids,
          error: reason,
          failure,
          workerLost: true,
          at: now(),
        });
        taskLog.info({}, 'task handed back');
        return;
      }
      throw error;
    } finally {
      start?.cancel();
      running.delete(sealed.id);
      occupancy.ended(sealed.queue);
    }
  }

  /**
   * Reports the task's start once it has run `startReportDelayMs`, then acknowledges its delivery:
   * from then on, should this worker die, the scheduler's dead-worker sweep runs the task again.
   */
  private reportStartLater(
    task: TaskRun,
    ids: TaskIds,
    startedAt: string,
    delivery: Delivery,
    taskLog: Logger,
  ): StartReport {
    const timeout = task.spec.timeout === undefined ? {} : { timeout: task.spec.timeout };
    const send = async (): Promise<void> => {
      try {
        await this.deps.broker.publish(QUEUE.started, {
          type: 'task.started',
          ...ids,
          ...timeout,
          at: startedAt,
        });
        delivery.ack();
      } catch (error) {
        // Its end reports it still; until then the delivery stays with this worker.
        taskLog.warn({ err: errorMessage(error) }, 'could not report the task started');
      }
    };
    return new StartReport(send, this.options.startReportDelayMs ?? START_REPORT_DELAY_MS);
  }

  /** Runs the task's containers, shipping its output and progress as they come. */
  private async run(
    task: TaskRun,
    secrets: readonly string[],
    signal: AbortSignal,
    taskLog: Logger,
  ): Promise<TaskOutcome> {
    const { now, reports } = this.deps;
    const shipper = new LogShipper(this.deps.broker, task, secrets, taskLog, this.options.logs);
    const progress = new ProgressReporter((percent) => {
      reports.send(QUEUE.progress, {
        type: 'task.progress',
        jobId: task.jobId,
        taskId: task.id,
        progress: percent,
        at: now(),
      });
    });
    try {
      return await runTask(this.deps.runtime, task, {
        defaults: this.options.defaults,
        ...(this.options.policy === undefined ? {} : { policy: this.options.policy }),
        labels: this.options.labels,
        signal,
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
  }
}

/** The report of how a task ended, with every secret masked: results and errors may print one. */
function outcomeMessage(
  outcome: TaskOutcome,
  ids: TaskIds,
  secrets: readonly string[],
  startedAt: string,
  at: string,
  includesStart: boolean,
): Message {
  const start = includesStart ? { startedAt, includesStart: true as const } : { startedAt };
  const steps = outcome.steps.map((step) =>
    step.error === undefined ? step : { ...step, error: redactText(step.error, secrets) },
  );
  return outcome.ok
    ? { type: 'task.completed', ...ids, result: redactText(outcome.result, secrets), steps, ...start, at }
    : {
        type: 'task.failed',
        ...ids,
        error: redactText(outcome.error, secrets),
        failure: outcome.failure,
        steps,
        ...start,
        at,
      };
}
