/**
 * Runs one container to its end. Adapter: DockerRuntime. The task container contract:
 * - `script` runs with `sh -c`; `env` is passed, plus `TORK_OUTPUT`, a file the task may write its result to;
 * - the result is the contents of `TORK_OUTPUT` when the task wrote it, else its stdout, capped in size
 *   with a visible truncation marker;
 * - the container is removed on every path: exit, error, abort.
 */
export interface Runtime {
  /** Runs a container; rejects with the signal's reason when aborted (the container is removed first). */
  run(container: ContainerSpec, signal: AbortSignal): Promise<ContainerOutcome>;
  /** Creates a volume that containers of one task share; returns its name. */
  createVolume(name: string): Promise<string>;
  removeVolume(name: string): Promise<void>;
  /** Removes every container whose labels include all of `labels`: what a dead worker left behind. Returns how many. */
  removeContainers(labels: Readonly<Record<string, string>>): Promise<number>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export interface ContainerSpec {
  /** A name unique to this run, used for the container's name and labels. */
  readonly name: string;
  readonly image: string;
  readonly script?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly mounts: readonly VolumeMount[];
  readonly cpus?: number;
  readonly memoryBytes?: number;
  readonly labels?: Readonly<Record<string, string>>;
  /** Receives the container's output as it is produced. */
  readonly onOutput?: (chunk: OutputChunk) => void;
}

export interface VolumeMount {
  readonly volume: string;
  readonly target: string;
}

export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export interface ContainerOutcome {
  readonly exitCode: number;
  readonly result: string;
  /** The last lines of stdout and stderr together, for error messages. */
  readonly tail: string;
  /** The kernel killed the container for exceeding its memory limit. */
  readonly oomKilled: boolean;
}
