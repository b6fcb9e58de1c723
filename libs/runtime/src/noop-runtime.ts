import type { ContainerOutcome, ContainerSpec, Runtime } from '@tork/domain';

/**
 * A runtime that runs nothing: every container "exits 0" at once with an empty result. For
 * benchmarks of the engine's own cost per task (`tork -runtime noop`), never for real work.
 */
export class NoopRuntime implements Runtime {
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

  removeContainers(): Promise<number> {
    return Promise.resolve(0);
  }

  healthCheck(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
