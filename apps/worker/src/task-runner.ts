import {
  errorMessage,
  formatDuration,
  formatSize,
  parseCpus,
  parseDuration,
  parseSize,
  taskSteps,
  type ContainerOutcome,
  type Runtime,
  type TaskRun,
  type TaskStep,
  type VolumeMount,
} from '@tork/domain';

/** Limits a worker applies to tasks that set none. */
export interface DefaultLimits {
  readonly cpus?: number;
  readonly memoryBytes?: number;
}

export type TaskOutcome =
  { readonly ok: true; readonly result: string } | { readonly ok: false; readonly error: string };

/** Why a run was aborted: the reason travels as the AbortSignal's reason. */
export class TaskAbort extends Error {
  constructor(
    readonly kind: 'cancelled' | 'timeout' | 'shutdown',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs a task's steps in order (pre → main → post) on one runtime, sharing the task's volumes.
 * A failing step ends the task; the volumes are removed on every path.
 */
export async function runTask(
  runtime: Runtime,
  task: TaskRun,
  defaults: DefaultLimits,
  signal: AbortSignal,
): Promise<TaskOutcome> {
  const timeoutMs = task.spec.timeout === undefined ? undefined : parseDuration(task.spec.timeout);
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort(signal.reason);
  };
  signal.addEventListener('abort', abort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          controller.abort(new TaskAbort('timeout', `timed out after ${formatDuration(timeoutMs)}`));
        }, timeoutMs);
  const volumes: string[] = [];
  try {
    const mounts: VolumeMount[] = [];
    for (const [index, target] of (task.spec.volumes ?? []).entries()) {
      const volume = await runtime.createVolume(`tork-${task.id}-${index}`);
      volumes.push(volume);
      mounts.push({ volume, target });
    }
    let result = '';
    for (const step of taskSteps(task.spec)) {
      const outcome = await runStep(runtime, task, step, mounts, defaults, controller.signal);
      if (outcome.exitCode !== 0) return { ok: false, error: describeFailure(step, outcome, task, defaults) };
      if (step.kind === 'main') result = outcome.result;
    }
    return { ok: true, result };
  } catch (error) {
    if (error instanceof TaskAbort) {
      if (error.kind === 'timeout') return { ok: false, error: error.message };
      throw error;
    }
    return { ok: false, error: errorMessage(error) };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
    await Promise.allSettled(volumes.map((volume) => runtime.removeVolume(volume)));
  }
}

async function runStep(
  runtime: Runtime,
  task: TaskRun,
  step: TaskStep,
  mounts: readonly VolumeMount[],
  defaults: DefaultLimits,
  signal: AbortSignal,
): Promise<ContainerOutcome> {
  const limits = effectiveLimits(task, defaults);
  const stepTimeoutMs =
    step.kind === 'main' || step.spec.timeout === undefined ? undefined : parseDuration(step.spec.timeout);
  const stepSignal =
    stepTimeoutMs === undefined
      ? signal
      : AbortSignal.any([
          signal,
          timeoutSignal(stepTimeoutMs, `${stepLabel(step)} timed out after ${formatDuration(stepTimeoutMs)}`),
        ]);
  return runtime.run(
    {
      name: step.kind === 'main' ? task.id : `${task.id}-${step.kind}-${step.index}`,
      image: step.spec.image,
      ...(step.spec.run === undefined ? {} : { script: step.spec.run }),
      env: step.spec.env ?? {},
      mounts,
      ...(limits.cpus === undefined ? {} : { cpus: limits.cpus }),
      ...(limits.memoryBytes === undefined ? {} : { memoryBytes: limits.memoryBytes }),
      labels: { 'tork.task': task.id, 'tork.job': task.jobId, 'tork.step': `${step.kind}-${step.index}` },
    },
    stepSignal,
  );
}

function timeoutSignal(ms: number, message: string): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => {
    controller.abort(new TaskAbort('timeout', message));
  }, ms).unref();
  return controller.signal;
}

export function effectiveLimits(task: TaskRun, defaults: DefaultLimits): DefaultLimits {
  const cpus = task.spec.limits?.cpus === undefined ? defaults.cpus : parseCpus(task.spec.limits.cpus);
  const memoryBytes =
    task.spec.limits?.memory === undefined ? defaults.memoryBytes : parseSize(task.spec.limits.memory);
  return {
    ...(cpus === undefined ? {} : { cpus }),
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
  };
}

function describeFailure(
  step: TaskStep,
  outcome: ContainerOutcome,
  task: TaskRun,
  defaults: DefaultLimits,
): string {
  const prefix = step.kind === 'main' ? '' : `${stepLabel(step)} failed: `;
  const memoryBytes = effectiveLimits(task, defaults).memoryBytes;
  if (outcome.oomKilled) {
    const limit = memoryBytes === undefined ? '' : ` of ${formatSize(memoryBytes)}`;
    return `${prefix}out of memory: the container exceeded its memory limit${limit} and was killed (exit code ${outcome.exitCode})`;
  }
  const tail = outcome.tail.trim();
  return `${prefix}exit code ${outcome.exitCode}${tail === '' ? '' : `: ${tail}`}`;
}

function stepLabel(step: TaskStep): string {
  const name = step.spec.name === undefined ? '' : ` (${step.spec.name})`;
  return `${step.kind}[${step.index}]${name}`;
}
