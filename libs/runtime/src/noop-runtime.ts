import type { ContainerOutcome, ContainerSpec, Leftovers, Runtime, RuntimeFeatures } from '@tork/domain';

/**
 * A runtime that runs nothing: every container "exits 0" at once with an empty result. For
 * benchmarks of the engine's own cost per task (`tork -runtime noop`), never for real work.
 */
export class NoopRuntime implements Runtime {
  /** It runs nothing, so it refuses nothing: the engine's cost is measured with every field. */
  readonly features: RuntimeFeatures = {
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

  run(_container: ContainerSpec, signal: AbortSignal): Promise<ContainerOutcome> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return Promise.resolve({ exitCode: 0, result: '', tail: '', oomKilled: false });
  }

  createVolume(name: string): Promise<string> {
    return Promise.resolve(name);
  }

  removeVolume(): Promise<void> {
    return Promise.resolve();
  }

  removeLeftovers(): Promise<Leftovers> {
    return Promise.resolve({ containers: 0, volumes: 0, networks: 0 });
  }

  healthCheck(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
