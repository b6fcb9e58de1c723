import {
  errorMessage,
  formatProblem,
  policyProblems,
  unsupportedFieldProblems,
  type Failure,
  type WorkerPolicy,
  formatDuration,
  formatSize,
  parseCpus,
  parseDuration,
  parseSize,
  setLongTimeout,
  taskSteps,
  type ContainerOutcome,
  type OutputChunk,
  type Runtime,
  type StepReport,
  type TaskRun,
  type TaskStep,
} from '@tork/domain';
import { containerSpec, taskMounts, taskVolumes, type StepContext } from './container-specs.js';
import { failureOf } from './failure.js';
import { TaskAbort } from './task-abort.js';

export { TaskAbort } from './task-abort.js';

/** Limits a worker applies to tasks that set none. */
export interface DefaultLimits {
  readonly cpus?: number;
  readonly memoryBytes?: number;
}

export type TaskOutcome =
  | { readonly ok: true; readonly result: string; readonly steps: readonly StepReport[] }
  | {
      readonly ok: false;
      readonly error: string;
      readonly failure: Failure;
      readonly steps: readonly StepReport[];
    };

export interface RunTaskOptions {
  readonly defaults: DefaultLimits;
  /** What the worker allows beyond the job schema; a task outside it never starts. */
  readonly policy?: WorkerPolicy;
  /** Labels every container and volume of the task carries, e.g. the worker's id. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** Receives every step's output as it is produced. */
  readonly onOutput?: (chunk: OutputChunk) => void;
  /** Receives the task's progress (0-100) as its runtime reads it. */
  readonly onProgress?: (percent: number) => void;
}

/**
 * Runs a task's steps in order (pre → main → post) on one runtime, sharing the task's volumes.
 * A failing step ends the task and later steps never run; the volumes are removed on every path.
 * Rejects with a TaskAbort when cancelled or shut down; a timeout is an ordinary failure.
 */
export async function runTask(
  runtime: Runtime,
  task: TaskRun,
  options: RunTaskOptions,
): Promise<TaskOutcome> {
  const problems = [
    ...policyProblems(task.spec, options.policy ?? {}, 'task'),
    ...unsupportedFieldProblems(task.spec, runtime.features, 'task'),
  ];
  if (problems.length > 0) {
    const error = `this worker refuses the task: ${problems.map(formatProblem).join('; ')}`;
    return { ok: false, error, failure: failureOf({ error: new TaskAbort('rejected', error) }), steps: [] };
  }
  const timeoutMs = task.spec.timeout === undefined ? undefined : parseDuration(task.spec.timeout);
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort(options.signal.reason);
  };
  options.signal.addEventListener('abort', abort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setLongTimeout(() => {
          controller.abort(new TaskAbort('timeout', `timed out after ${formatDuration(timeoutMs)}`));
        }, timeoutMs);
  const volumes: string[] = [];
  const steps: StepReport[] = [];
  const labels = options.labels ?? {};
  try {
    const planned = taskVolumes(task);
    for (const volume of planned) volumes.push(await runtime.createVolume(volume.name, { labels }));
    const context: StepContext = {
      task,
      mounts: taskMounts(task, planned),
      limits: effectiveLimits(task, options.defaults),
      labels,
      ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    };
    let result = '';
    for (const step of taskSteps(task.spec)) {
      const startedAt = new Date().toISOString();
      const report = (state: StepReport['state'], error?: string): void => {
        steps.push({
          kind: step.kind,
          index: step.index,
          ...(step.spec.name === undefined ? {} : { name: step.spec.name }),
          ...(step.spec.image === undefined ? {} : { image: step.spec.image }),
          state,
          ...(error === undefined ? {} : { error }),
          startedAt,
          endedAt: new Date().toISOString(),
        });
      };
      let outcome: ContainerOutcome;
      try {
        outcome = await runStep(runtime, step, context, controller.signal);
      } catch (error) {
        report(
          error instanceof TaskAbort && error.kind !== 'timeout' ? 'CANCELLED' : 'FAILED',
          errorMessage(error),
        );
        throw error;
      }
      if (outcome.exitCode !== 0) {
        const error = describeFailure(step, outcome, effectiveLimits(task, options.defaults));
        report('FAILED', error);
        return { ok: false, error, failure: failureOf({ outcome }), steps };
      }
      report('COMPLETED');
      if (step.kind === 'main') result = outcome.result;
    }
    return { ok: true, result, steps };
  } catch (error) {
    if (error instanceof TaskAbort && error.kind !== 'timeout') throw error;
    return { ok: false, error: errorMessage(error), failure: failureOf({ error }), steps };
  } finally {
    timer?.clear();
    options.signal.removeEventListener('abort', abort);
    await Promise.allSettled(volumes.map((volume) => runtime.removeVolume(volume)));
  }
}

async function runStep(
  runtime: Runtime,
  step: TaskStep,
  context: StepContext,
  signal: AbortSignal,
): Promise<ContainerOutcome> {
  const stepTimeoutMs =
    step.kind === 'main' || step.spec.timeout === undefined ? undefined : parseDuration(step.spec.timeout);
  const stepSignal =
    stepTimeoutMs === undefined
      ? signal
      : AbortSignal.any([
          signal,
          timeoutSignal(stepTimeoutMs, `${stepLabel(step)} timed out after ${formatDuration(stepTimeoutMs)}`),
        ]);
  return runtime.run(containerSpec(step, context), stepSignal);
}

function timeoutSignal(ms: number, message: string): AbortSignal {
  const controller = new AbortController();
  setLongTimeout(() => {
    controller.abort(new TaskAbort('timeout', message));
  }, ms).unref();
  return controller.signal;
}

/** The task's own limits, else the worker's defaults. */
export function effectiveLimits(task: TaskRun, defaults: DefaultLimits): DefaultLimits {
  const cpus = task.spec.limits?.cpus === undefined ? defaults.cpus : parseCpus(task.spec.limits.cpus);
  const memoryBytes =
    task.spec.limits?.memory === undefined ? defaults.memoryBytes : parseSize(task.spec.limits.memory);
  return {
    ...(cpus === undefined ? {} : { cpus }),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
  };
}

function describeFailure(step: TaskStep, outcome: ContainerOutcome, limits: DefaultLimits): string {
  const prefix = step.kind === 'main' ? '' : `${stepLabel(step)} failed: `;
  if (outcome.oomKilled) {
    const limit = limits.memoryBytes === undefined ? '' : ` of ${formatSize(limits.memoryBytes)}`;
    return `${prefix}out of memory: the container exceeded its memory limit${limit} and was killed (exit code ${outcome.exitCode})`;
  }
  const tail = outcome.tail.trim();
  return `${prefix}exit code ${outcome.exitCode}${tail === '' ? '' : `: ${tail}`}`;
}

function stepLabel(step: TaskStep): string {
  const name = step.spec.name === undefined ? '' : ` (${step.spec.name})`;
  return `${step.kind}[${step.index}]${name}`;
}
