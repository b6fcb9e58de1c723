/**
 * Runs one task container (or, for the shell runtime, one process) to its end. Adapters:
 * DockerRuntime, ShellRuntime, NoopRuntime (benchmarks); FakeRuntime in libs/testing for tests.
 * The contract, which libs/testing's runtime contract suite checks for each adapter:
 * - `script` runs with `sh -c` (through `entrypoint` when one is given, e.g. `["bash", "-c"]`);
 *   without a script, `cmd` runs (through `entrypoint` if given), else the image's own command;
 * - `env` is passed, plus `TORK_OUTPUT`, a file the task may write its result to, and
 *   `TORK_PROGRESS`, a file it may write 0-100 to while it runs (read at least every second);
 * - `files` are written read-only into `workdir` (default: the runtime's own) before it starts;
 * - the result is the contents of `TORK_OUTPUT` when the task wrote it, else its stdout, capped in
 *   size with a visible truncation marker;
 * - the container is removed on every path: exit, error, abort; so are its sidecars and their network;
 * - a field the runtime cannot honour ({@link RuntimeFeatures}) is refused before anything starts,
 *   with a {@link RuntimeError} of kind `rejected`.
 */
export interface Runtime {
  /** What this runtime can honour; the worker refuses other fields before calling {@link run}. */
  readonly features: RuntimeFeatures;
  /**
   * Runs a container; rejects with the signal's reason when aborted (the container is removed
   * first), with a {@link RuntimeError} when it could not run it.
   */
  run(container: ContainerSpec, signal: AbortSignal): Promise<ContainerOutcome>;
  /** Creates a volume that containers of one task share; returns its name. */
  createVolume(name: string, options?: VolumeOptions): Promise<string>;
  removeVolume(name: string): Promise<void>;
  /**
   * Removes every container, volume and network whose labels include all of `labels`: what a dead
   * worker (or an earlier standalone engine) left behind. Returns how many of each.
   */
  removeLeftovers(labels: Readonly<Record<string, string>>): Promise<Leftovers>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

/** The label every container, volume and network a worker creates carries: the worker's node id. */
export const NODE_LABEL = 'tork.node';

export interface VolumeOptions {
  readonly labels?: Readonly<Record<string, string>>;
}

export interface Leftovers {
  readonly containers: number;
  readonly volumes: number;
  readonly networks: number;
}

/** A mount type a runtime may support. */
export type MountType = 'volume' | 'tmpfs' | 'bind';

export interface RuntimeFeatures {
  /** Runs images (Docker); a runtime without images ignores `image` and needs none. */
  readonly images: boolean;
  readonly cmd: boolean;
  readonly entrypoint: boolean;
  readonly files: boolean;
  readonly workdir: boolean;
  readonly mounts: readonly MountType[];
  readonly networks: boolean;
  readonly sidecars: boolean;
  readonly registry: boolean;
  /** GPUs can be requested (a Docker engine with a GPU runtime; false where none is known). */
  readonly gpus: boolean;
  /** `limits.cpus` and `limits.memory` are enforced. */
  readonly limits: boolean;
  readonly user: boolean;
}

export interface ContainerSpec {
  /** A name unique to this run, used for the container's name and labels. */
  readonly name: string;
  /** The image; a runtime without images ({@link RuntimeFeatures.images} false) has none. */
  readonly image?: string;
  readonly script?: string;
  /** The command, when there is no script (the image's own otherwise). */
  readonly cmd?: readonly string[];
  /** Replaces the image's entrypoint; with a script, the script is its last argument. */
  readonly entrypoint?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Files written read-only into the working directory before it starts: name → content. */
  readonly files?: Readonly<Record<string, string>>;
  /** The working directory (absolute); `files` land there. */
  readonly workdir?: string;
  readonly mounts: readonly Mount[];
  /** Networks the container joins (besides its sidecars' network); none: the runtime's default. */
  readonly networks?: readonly string[];
  /** Containers started first on a network of their own, reachable by their names. */
  readonly sidecars?: readonly SidecarSpec[];
  /** Credentials to pull the image with. */
  readonly registry?: RegistryAuth;
  /** Docker's `--gpus` value, e.g. `all` or `count=1,capabilities=compute`. */
  readonly gpus?: string;
  /** The user (name, uid or uid:gid) the process runs as; the image's by default. */
  readonly user?: string;
  readonly cpus?: number;
  readonly memoryBytes?: number;
  readonly labels?: Readonly<Record<string, string>>;
  /** Receives the container's output as it is produced. */
  readonly onOutput?: (chunk: OutputChunk) => void;
  /** Receives the task's progress (0-100) when it changes; read at least every second. */
  readonly onProgress?: (percent: number) => void;
}

export type Mount =
  | { readonly type: 'volume'; readonly source: string; readonly target: string }
  | { readonly type: 'tmpfs'; readonly target: string; readonly sizeBytes?: number }
  | { readonly type: 'bind'; readonly source: string; readonly target: string; readonly readOnly?: boolean };

export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
}

export interface SidecarSpec {
  /** Its host name on the task's network: a slug of the sidecar's name. */
  readonly name: string;
  readonly image: string;
  readonly script?: string;
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Must answer 200 before the task starts. */
  readonly probe?: SidecarProbe;
}

export interface SidecarProbe {
  readonly path: string;
  readonly port: number;
  /** How long to wait for a 200 in all. */
  readonly timeoutMs: number;
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
