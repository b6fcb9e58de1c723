import {
  RuntimeError,
  type ContainerOutcome,
  type ContainerSpec,
  type Leftovers,
  type OutputChunk,
  type Runtime,
  type RuntimeErrorKind,
  type RuntimeFeatures,
  type VolumeOptions,
} from '@tork/domain';

/** What one `run` of the fake does, in order: output, progress, a wait, then its end. */
export interface FakeRun {
  readonly exitCode?: number;
  /** The result; default: the stdout chunks joined. */
  readonly result?: string;
  readonly output?: readonly OutputChunk[];
  /** Progress values reported one after another, `progressEveryMs` apart. */
  readonly progress?: readonly number[];
  readonly progressEveryMs?: number;
  /** How long the container "runs" after its output; an abort ends it early. */
  readonly delayMs?: number;
  readonly oomKilled?: boolean;
  /** The run fails with a RuntimeError of this kind instead of ending. */
  readonly error?: { readonly kind: RuntimeErrorKind; readonly message?: string };
}

/** Answers a spec with a run; the call's 0-based number counts every `run` of this fake. */
export type FakeScript = (spec: ContainerSpec, call: number) => FakeRun;

export const ALL_FEATURES: RuntimeFeatures = {
  images: true,
  cmd: true,
  entrypoint: true,
  files: true,
  workdir: true,
  mounts: ['volume', 'tmpfs', 'bind'],
  networks: true,
  sidecars: true,
  registry: true,
  gpus: true,
  limits: true,
  user: true,
};

const DEFAULT_MESSAGES: Record<RuntimeErrorKind, string> = {
  runtime: 'engine unavailable',
  image: 'image not found',
  rejected: 'refused by the runtime',
  timeout: 'a sidecar did not answer its probe in time',
};

/**
 * A scripted runtime for tests of what runs containers (the worker): each `run` answers what the
 * script says, and the specs it received are kept to assert on. Errors are asynchronous only, as a
 * real runtime's are.
 */
export class FakeRuntime implements Runtime {
  readonly features: RuntimeFeatures;
  /** Every spec `run` received, in order. */
  readonly specs: ContainerSpec[] = [];
  /** Volumes created and not removed yet. */
  readonly volumes = new Set<string>();
  readonly createdVolumes: { readonly name: string; readonly options?: VolumeOptions }[] = [];
  private script: FakeScript;
  private unhealthy: string | undefined;
  private closed = false;

  constructor(options: { readonly features?: Partial<RuntimeFeatures>; readonly script?: FakeScript } = {}) {
    this.features = { ...ALL_FEATURES, ...options.features };
    this.script = options.script ?? (() => ({}));
  }

  /** Changes what later runs do. */
  setScript(script: FakeScript): void {
    this.script = script;
  }

  /** Health checks fail with this message until {@link recover}. */
  failHealth(message = 'engine unavailable'): void {
    this.unhealthy = message;
  }

  recover(): void {
    this.unhealthy = undefined;
  }

  async run(spec: ContainerSpec, signal: AbortSignal): Promise<ContainerOutcome> {
    await Promise.resolve();
    const call = this.specs.length;
    this.specs.push(spec);
    if (this.closed) throw new RuntimeError('runtime', 'runtime closed');
    signal.throwIfAborted();
    const refused = refusedFields(spec, this.features);
    if (refused.length > 0)
      throw new RuntimeError('rejected', `this runtime cannot honour ${refused.join(', ')}`);
    const run = this.script(spec, call);
    if (run.error !== undefined)
      throw new RuntimeError(run.error.kind, run.error.message ?? DEFAULT_MESSAGES[run.error.kind]);
    for (const chunk of run.output ?? []) spec.onOutput?.(chunk);
    for (const percent of run.progress ?? []) {
      spec.onProgress?.(percent);
      await sleep(run.progressEveryMs ?? 0, signal);
    }
    await sleep(run.delayMs ?? 0, signal);
    const stdout = (run.output ?? [])
      .filter((chunk) => chunk.stream === 'stdout')
      .map((chunk) => chunk.text)
      .join('');
    const all = (run.output ?? []).map((chunk) => chunk.text).join('');
    return {
      exitCode: run.exitCode ?? (run.oomKilled === true ? 137 : 0),
      result: run.result ?? stdout,
      tail: all.split('\n').slice(-10).join('\n'),
      oomKilled: run.oomKilled ?? false,
    };
  }

  async createVolume(name: string, options?: VolumeOptions): Promise<string> {
    await Promise.resolve();
    this.volumes.add(name);
    this.createdVolumes.push(options === undefined ? { name } : { name, options });
    return name;
  }

  async removeVolume(name: string): Promise<void> {
    await Promise.resolve();
    this.volumes.delete(name);
  }

  removeLeftovers(): Promise<Leftovers> {
    return Promise.resolve({ containers: 0, volumes: 0, networks: 0 });
  }

  healthCheck(): Promise<void> {
    return this.unhealthy === undefined
      ? Promise.resolve()
      : Promise.reject(new RuntimeError('runtime', this.unhealthy));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Waits `ms`, rejecting with the signal's reason when it is aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The fields of a spec a runtime with these features cannot honour: the port says they are refused. */
function refusedFields(spec: ContainerSpec, features: RuntimeFeatures): string[] {
  const refused: string[] = [];
  const check = (field: string, present: boolean, supported: boolean): void => {
    if (present && !supported) refused.push(field);
  };
  check('cmd', spec.cmd !== undefined, features.cmd);
  check('entrypoint', spec.entrypoint !== undefined, features.entrypoint);
  check('files', spec.files !== undefined, features.files);
  check('workdir', spec.workdir !== undefined, features.workdir);
  check('networks', spec.networks !== undefined, features.networks);
  check('sidecars', spec.sidecars !== undefined, features.sidecars);
  check('registry', spec.registry !== undefined, features.registry);
  check('gpus', spec.gpus !== undefined, features.gpus);
  check('user', spec.user !== undefined, features.user);
  check('limits', spec.cpus !== undefined || spec.memoryBytes !== undefined, features.limits);
  for (const mount of spec.mounts) check(`a ${mount.type} mount`, true, features.mounts.includes(mount.type));
  return refused;
}
