import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError, silentLogger } from '@tork/domain';
import type {
  ContainerOutcome,
  ContainerSpec,
  Leftovers,
  Logger,
  Runtime,
  RuntimeFeatures,
} from '@tork/domain';
import { OutputCollector } from './output-collector.js';
import { readCapped } from './shell-output.js';
import { runProcess } from './shell-process.js';
import { ProgressPoller } from './shell-progress.js';

export interface ShellRuntimeOptions {
  /** The uid tasks run as (`-shell-uid`); default: the engine's own. Another uid needs a root engine. */
  readonly uid?: number;
  /** The gid tasks run as (`-shell-gid`); default: the engine's own, so give it with `uid` (root's group otherwise). */
  readonly gid?: number;
  /** The PATH tasks get, so `sh` and the host's tools are found; default: the engine's own PATH. */
  readonly path?: string;
  /** Where working directories are made; default: the OS's temporary directory. */
  readonly tempDir?: string;
  /** Largest result kept, in bytes (default 1 MiB); longer results end with a truncation marker. */
  readonly maxResultBytes?: number;
  /** After an abort's SIGTERM, how long a task's processes have before SIGKILL (default 5 s). */
  readonly killGraceMs?: number;
  /** How often `$TORK_PROGRESS` is read while a task runs (default 1 s). */
  readonly progressIntervalMs?: number;
  readonly logger?: (msg: string) => void;
}

/** A PATH for an engine started without one (e.g. by a bare exec). */
const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Tork's shell runtime (`-runtime shell`): runs a task's `run` with `sh -c` on the engine's own host,
 * for hosts and Kubernetes pods without a Docker engine. Each run gets a fresh temporary directory,
 * removed after: `work/` is the working directory (its `files` written there read-only, 0444) and
 * `tork/` holds `$TORK_OUTPUT` and `$TORK_PROGRESS`; both belong to the configured uid/gid, the
 * directory itself to the engine, so a task cannot swap it for a link. The environment is the
 * spec's `env` plus PATH and those two variables: nothing else of the engine's environment leaks.
 * `entrypoint` and `cmd` are honoured as a program and its arguments, exec'd without a shell
 * (`[...entrypoint, run]`, or `[...entrypoint, ...cmd]` without `run`). Like Tork's, it ignores
 * `image` (an engine whose only runtime is the shell takes tasks without one) and refuses what only
 * a container can give: workdir, mounts, volumes, networks, sidecars, registry, gpus, user, limits.
 * A run ends when its `sh` does, and the rest of its process group is killed with it, as in a
 * container; abort kills the group (SIGTERM, then SIGKILL). A process that starts a session of its
 * own (`setsid`) leaves the group and is out of reach: the shell runtime isolates nothing.
 */
export class ShellRuntime implements Runtime {
  readonly features: RuntimeFeatures = {
    images: false,
    cmd: true,
    entrypoint: true,
    files: true,
    workdir: false,
    mounts: [],
    networks: false,
    sidecars: false,
    registry: false,
    gpus: false,
    limits: false,
    user: false,
  };
  private readonly uid: number | undefined;
  private readonly gid: number | undefined;
  private readonly path: string;
  private readonly tempDir: string;
  private readonly maxResultBytes: number;
  private readonly killGraceMs: number;
  private readonly progressIntervalMs: number;
  private readonly log: (msg: string) => void;
  /** The output collector's warnings (a failing onOutput listener), through `log`. */
  private readonly collectorLogger: Logger;

  constructor(options: ShellRuntimeOptions = {}) {
    this.uid = options.uid;
    this.gid = options.gid;
    this.path = options.path ?? process.env['PATH'] ?? FALLBACK_PATH;
    this.tempDir = options.tempDir ?? tmpdir();
    this.maxResultBytes = options.maxResultBytes ?? 1024 * 1024;
    this.killGraceMs = options.killGraceMs ?? 5_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 1_000;
    this.log = options.logger ?? (() => undefined);
    const log = this.log;
    this.collectorLogger = {
      ...silentLogger,
      warn: (_fields, message) => {
        log(message);
      },
    };
    if (!Number.isSafeInteger(this.maxResultBytes) || this.maxResultBytes <= 0)
      throw new RangeError(`maxResultBytes must be a positive integer, got ${this.maxResultBytes}`);
    for (const [name, id] of [
      ['uid', this.uid],
      ['gid', this.gid],
    ] as const)
      if (id !== undefined && (!Number.isSafeInteger(id) || id < 0))
        throw new RangeError(`${name} must be a non-negative integer, got ${id}`);
  }

  /** Whether tasks run as root: the engine warns at start when they do. */
  runsAsRoot(): boolean {
    return (this.uid ?? process.getuid?.()) === 0;
  }

  async run(spec: ContainerSpec, signal: AbortSignal): Promise<ContainerOutcome> {
    signal.throwIfAborted();
    const refused = refusedFields(spec);
    if (refused.length > 0)
      throw new RuntimeError('rejected', `the shell runtime cannot honour ${refused.join(', ')}`);
    const argv = commandOf(spec);
    const base = await hostStep('make a working directory', () => mkdtemp(join(this.tempDir, 'tork-shell-')));
    try {
      const dirs = await hostStep('prepare the working directory', () =>
        this.prepare(base, spec.files ?? {}),
      );
      signal.throwIfAborted();
      const output = new OutputCollector(this.maxResultBytes, spec.onOutput, this.collectorLogger);
      const progress =
        spec.onProgress === undefined
          ? undefined
          : new ProgressPoller(dirs.progress, spec.onProgress, this.log);
      progress?.start(this.progressIntervalMs);
      let exitCode: number;
      try {
        exitCode = await runProcess(
          argv,
          {
            cwd: dirs.work,
            env: { PATH: this.path, ...spec.env, TORK_OUTPUT: dirs.output, TORK_PROGRESS: dirs.progress },
            ...(this.uid === undefined ? {} : { uid: this.uid }),
            ...(this.gid === undefined ? {} : { gid: this.gid }),
            graceMs: this.killGraceMs,
            log: this.log,
          },
          output,
          signal,
        );
      } catch (error) {
        if (signal.aborted && error === signal.reason) throw error;
        throw new RuntimeError('runtime', `could not start ${argv[0]}: ${errorText(error)}`, {
          cause: error,
        });
      } finally {
        output.end();
        output.close();
        await progress?.stop();
      }
      const fileResult = await hostStep('read $TORK_OUTPUT', () =>
        readCapped(dirs.output, this.maxResultBytes),
      );
      return { exitCode, result: fileResult ?? output.stdout(), tail: output.tail(), oomKilled: false };
    } finally {
      await rm(base, { recursive: true, force: true }).catch((error: unknown) => {
        this.log(`working directory ${base}: remove failed: ${errorText(error)}`);
      });
    }
  }

  createVolume(): Promise<string> {
    return Promise.reject(new RuntimeError('rejected', 'the shell runtime has no volumes'));
  }

  /** No volume can exist here, so there is nothing to remove. */
  removeVolume(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Each run removes its own directory; what a killed engine's runs leave (their directories, a
   * process that outlived the engine) carries no labels, so nothing is found here.
   */
  removeLeftovers(): Promise<Leftovers> {
    return Promise.resolve({ containers: 0, volumes: 0, networks: 0 });
  }

  /**
   * Fails when tasks could not run: the configured uid needs a root engine, and working
   * directories need a writable temporary directory.
   */
  async healthCheck(): Promise<void> {
    const own = { uid: process.getuid?.(), gid: process.getgid?.() };
    const foreign =
      (this.uid !== undefined && this.uid !== own.uid) || (this.gid !== undefined && this.gid !== own.gid);
    if (foreign && own.uid !== 0)
      throw new RuntimeError(
        'runtime',
        `the shell runtime runs tasks as ${this.uid ?? own.uid}:${this.gid ?? own.gid}, which needs a root engine (running as ${own.uid})`,
      );
    const probe = await hostStep('make a working directory', () =>
      mkdtemp(join(this.tempDir, 'tork-shell-health-')),
    );
    await rm(probe, { recursive: true, force: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The engine owns `base`; the task's user owns what it writes to: its working dir and tork dir. */
  private async prepare(
    base: string,
    files: Readonly<Record<string, string>>,
  ): Promise<{ work: string; output: string; progress: string }> {
    await chmod(base, 0o755);
    const work = join(base, 'work');
    const tork = join(base, 'tork');
    await mkdir(work, { mode: 0o700 });
    await mkdir(tork, { mode: 0o700 });
    for (const [name, content] of Object.entries(files)) {
      const path = join(work, name);
      await writeFile(path, content, { mode: 0o444, flag: 'wx' });
      // The mode given to writeFile passes through the umask; the file must be exactly read-only.
      await chmod(path, 0o444);
    }
    if (this.uid !== undefined || this.gid !== undefined) {
      const uid = this.uid ?? -1;
      const gid = this.gid ?? -1;
      await chown(work, uid, gid);
      await chown(tork, uid, gid);
    }
    return { work, output: join(tork, 'output'), progress: join(tork, 'progress') };
  }
}

/** The fields only a container can give, named as a task names them. */
function refusedFields(spec: ContainerSpec): string[] {
  const refused: string[] = [];
  if (spec.workdir !== undefined) refused.push('workdir');
  if (spec.mounts.length > 0)
    refused.push(`mounts (${[...new Set(spec.mounts.map((m) => m.type))].join(', ')})`);
  if ((spec.networks ?? []).length > 0) refused.push('networks');
  if ((spec.sidecars ?? []).length > 0) refused.push('sidecars');
  if (spec.registry !== undefined) refused.push('registry');
  if (spec.gpus !== undefined) refused.push('gpus');
  if (spec.user !== undefined) refused.push('user');
  if (spec.cpus !== undefined || spec.memoryBytes !== undefined) refused.push('limits');
  for (const name of Object.keys(spec.files ?? {}))
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
      refused.push(`a file named ${JSON.stringify(name)}`);
  return refused;
}

/** `sh -c run`, or the entrypoint with `run` as its last argument, or entrypoint and cmd as argv. */
function commandOf(spec: ContainerSpec): [string, ...string[]] {
  const entrypoint = spec.entrypoint ?? [];
  const argv =
    spec.script !== undefined && spec.script !== ''
      ? [...(entrypoint.length > 0 ? entrypoint : ['sh', '-c']), spec.script]
      : [...entrypoint, ...(spec.cmd ?? [])];
  const [program, ...args] = argv;
  if (program === undefined || program === '')
    throw new RuntimeError('rejected', 'the shell runtime needs something to run: `run` or `cmd`');
  return [program, ...args];
}

/** A failure of the engine's own host (a full or missing temp dir) is not the task's fault. */
async function hostStep<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new RuntimeError('runtime', `shell runtime: could not ${what}: ${errorText(error)}`, {
      cause: error,
    });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
