import Docker from 'dockerode';
import type { Container, DockerOptions } from 'dockerode';
import { formatDuration, RuntimeError, silentLogger } from '@tork/domain';
import type {
  ContainerOutcome,
  ContainerSpec,
  Leftovers,
  Logger,
  Runtime,
  RuntimeFeatures,
  VolumeOptions,
} from '@tork/domain';
import {
  containerCreateOptions,
  DEFAULT_PIDS_LIMIT,
  isRootUser,
  OUTPUT_PATH,
  stagingFor,
  stagingNeedsImageUser,
  TORK_DIR,
} from './container-spec.js';
import type { ContainerPolicy, Staging } from './container-spec.js';
import { engineMessage, isRecord, statusCodeOf, toRuntimeError } from './engine-errors.js';
import { createArchive, PLACEHOLDER_MTIME, readFirstFile, stagedEntries } from './files.js';
import { drainInto } from './output.js';
import { capText, OutputCollector } from './output-collector.js';
import { ImagePuller } from './images.js';
import type { PullPolicy } from './images.js';
import { ProgressWatcher } from './progress.js';
import { SidecarNotReadyError, startSidecars } from './sidecars.js';
import type { Sidecars } from './sidecars.js';

export type { PullPolicy } from './images.js';

export interface DockerRuntimeOptions {
  /** Path of the engine's unix socket; defaults to DOCKER_HOST or /var/run/docker.sock. */
  readonly socketPath?: string;
  /** Engine address over TCP: `tcp://host:2375`, `http://host:port` or a bare host name. */
  readonly host?: string;
  /** When to pull an image: only when it is not present locally (default), always, or never. */
  readonly pullPolicy?: PullPolicy;
  /** Network of task containers that name none (`-default-network`); unset: the engine's default. */
  readonly defaultNetwork?: string;
  /** Most processes a task container may hold (`-pids-limit`, default 1024). */
  readonly pidsLimit?: number;
  /** Capabilities given back to every task container (`-cap-add`). */
  readonly capAdd?: readonly string[];
  /** Runs task containers privileged (`-privileged`); never by default. */
  readonly privileged?: boolean;
  /** Read-only root filesystem with writable /tmp and /tork (`-read-only-rootfs`). */
  readonly readOnlyRootfs?: boolean;
  /** Largest result kept, in bytes (default 1 MiB); longer results end with a truncation marker. */
  readonly maxResultBytes?: number;
  /** An engine call that should answer at once fails after this long (default 30 s); waiting for a container, its output and pulls are exempt. */
  readonly apiTimeoutMs?: number;
  /** The image of the helper container that probes sidecars from inside their network (default `busybox`). */
  readonly probeImage?: string;
  /** Accepted for the CLI's `--temp-dir`; scripts go through the engine's API, nothing is staged on the host. */
  readonly tempDir?: string;
  /** Removal failures, pulls and slow output streams; a pino child logger fits. */
  readonly logger?: Logger;
}

/** The attach stream may close slightly after wait() returns; give it this long to drain. */
const OUTPUT_DRAIN_MS = 5_000;
/** Marks volumes created through {@link DockerRuntime.createVolume}. */
const VOLUME_LABEL = 'tork';

export class DockerRuntime implements Runtime {
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
    // The engine says at start whether it has a GPU runtime; without one the task is rejected.
    gpus: true,
    limits: true,
    user: true,
  };
  private readonly docker: Docker;
  private readonly images: ImagePuller;
  private readonly probeImage: string | undefined;
  private readonly policy: ContainerPolicy;
  private readonly maxResultBytes: number;
  private readonly apiTimeoutMs: number;
  private readonly logger: Logger;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = new Docker(dockerOptions(options));
    this.policy = {
      ...(options.defaultNetwork === undefined ? {} : { defaultNetwork: options.defaultNetwork }),
      pidsLimit: options.pidsLimit ?? DEFAULT_PIDS_LIMIT,
      capAdd: options.capAdd ?? [],
      privileged: options.privileged ?? false,
      readOnlyRootfs: options.readOnlyRootfs ?? false,
    };
    this.maxResultBytes = options.maxResultBytes ?? 1024 * 1024;
    this.apiTimeoutMs = options.apiTimeoutMs ?? 30_000;
    this.logger = options.logger ?? silentLogger;
    const logger = this.logger;
    this.images = new ImagePuller(this.docker, {
      ...(options.pullPolicy === undefined ? {} : { pullPolicy: options.pullPolicy }),
      call: (what, request) => this.call(what, request),
      logger: (msg) => {
        logger.info({}, msg);
      },
    });
    this.probeImage = options.probeImage;
    if (!Number.isSafeInteger(this.maxResultBytes) || this.maxResultBytes <= 0) {
      throw new RangeError(`maxResultBytes must be a positive integer, got ${this.maxResultBytes}`);
    }
    if (!Number.isSafeInteger(this.policy.pidsLimit) || this.policy.pidsLimit <= 0) {
      throw new RangeError(`pidsLimit must be a positive integer, got ${this.policy.pidsLimit}`);
    }
  }

  async run(container: ContainerSpec, signal: AbortSignal): Promise<ContainerOutcome> {
    signal.throwIfAborted();
    const { image } = container;
    if (image === undefined)
      throw new RuntimeError('rejected', 'the docker runtime runs images: the task has none');
    const spec = { ...container, image };
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the port promises the signal's own reason, whatever its type
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    // The race below is the only consumer; this keeps an abort after completion from being "unhandled".
    aborted.catch(() => undefined);
    const untilAborted = <T>(work: Promise<T>): Promise<T> => Promise.race([work, aborted]);

    const collector = new OutputCollector(this.maxResultBytes, spec.onOutput, this.logger);
    let creating: Promise<Container> | undefined;
    let progress: ProgressWatcher | undefined;
    let sidecars: Sidecars | undefined;
    try {
      // Pure: refuses a spec it cannot honour (bad gpus, a mount over /tork) before any engine call.
      containerCreateOptions(spec, 'archive', this.policy);
      await untilAborted(this.images.prepare(spec.image, spec.registry));
      const runsAsRoot =
        spec.user !== undefined
          ? isRootUser(spec.user)
          : stagingNeedsImageUser(spec) &&
            (await untilAborted(this.images.runsAsRoot(spec.image, spec.registry)));
      const staging = stagingFor(spec, runsAsRoot);
      // Sidecars are up and answer their probes before the task's container exists; it joins their network.
      sidecars = await this.startSidecars(spec, signal);
      const joined =
        sidecars === undefined ? spec : { ...spec, networks: [sidecars.network, ...(spec.networks ?? [])] };
      creating = this.createContainer(joined, staging);
      const container = await untilAborted(creating);
      for (const network of (joined.networks ?? []).slice(1))
        await untilAborted(
          this.call(`join network ${network}`, () =>
            // The typings offer connect no signal: only the wait for it is bounded.
            this.docker.getNetwork(network).connect({ Container: container.id }),
          ),
        );
      if (staging === 'archive') {
        // On a read-only root the engine writes only into volumes: /tork is one.
        const root = this.policy.readOnlyRootfs ? TORK_DIR : '/';
        const archive = await createArchive(stagedEntries(spec, staging, this.policy.readOnlyRootfs), root);
        await untilAborted(
          this.call('copy the script and files in', (abortSignal) =>
            container.putArchive(archive, { path: root, abortSignal }),
          ),
        );
      }

      // Attach before start, like `docker run`, so no early output is lost. The stream lives as long as
      // the container: only getting it is bounded.
      const stream = await untilAborted(
        this.call('attach', () => container.attach({ stream: true, stdout: true, stderr: true })),
      );
      const drained = drainInto(this.docker, stream, collector);

      await untilAborted(this.call('start the container', (abortSignal) => container.start({ abortSignal })));
      if (spec.onProgress !== undefined) {
        progress = new ProgressWatcher(container, spec.onProgress, this.logger);
        progress.start();
      }
      const exitCode = parseExitCode(await untilAborted(container.wait()));
      await progress?.stop();
      if (!(await untilAborted(withTimeout(drained, OUTPUT_DRAIN_MS)))) {
        this.logger.warn(
          { container: spec.name, waitedMs: OUTPUT_DRAIN_MS },
          'output stream still open after exit',
        );
      }
      collector.end();

      const [oomKilled, fileResult] = await untilAborted(
        Promise.all([
          // A container that exited 0 was not killed, so only a failure needs the engine's OOM flag.
          exitCode === 0
            ? false
            : this.call('inspect the container', (abortSignal) => container.inspect({ abortSignal })).then(
                (info) => info.State.OOMKilled,
              ),
          this.readResultFile(container),
        ]),
      );
      return { exitCode, result: fileResult ?? collector.stdout(), tail: collector.tail(), oomKilled };
    } catch (error) {
      if (signal.aborted && error === signal.reason) throw error;
      if (error instanceof SidecarNotReadyError) throw error;
      throw explain(toRuntimeError(error, `container ${spec.name}`), spec);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await progress?.stop();
      collector.close();
      if (creating !== undefined) await this.removeContainer(spec.name, creating);
      await sidecars?.stop();
    }
  }

  async createVolume(name: string, options: VolumeOptions = {}): Promise<string> {
    try {
      await this.call('create a volume', (abortSignal) =>
        this.docker.createVolume({
          Name: name,
          Driver: 'local',
          Labels: { ...options.labels, [VOLUME_LABEL]: 'true' },
          abortSignal,
        }),
      );
      return name;
    } catch (error) {
      throw toRuntimeError(error, `volume ${name}`);
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.call('remove a volume', (abortSignal) =>
        this.docker.getVolume(name).remove({ abortSignal }),
      );
    } catch (error) {
      // Removal is idempotent: a volume that is already gone is the desired end state.
      if (statusCodeOf(error) === 404) return;
      throw toRuntimeError(error, `volume ${name}`);
    }
  }

  async removeLeftovers(labels: Readonly<Record<string, string>>): Promise<Leftovers> {
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    try {
      // Containers first: a volume or network still in use cannot be removed.
      const containers = await this.call('list containers', (abortSignal) =>
        this.docker.listContainers({ all: true, filters, abortSignal }),
      );
      const removedContainers = await this.removeEach(
        'container',
        containers.map((c) => c.Id),
        (id, abortSignal) => this.docker.getContainer(id).remove({ force: true, v: true, abortSignal }),
      );
      const [volumes, networks] = await Promise.all([
        this.call('list volumes', (abortSignal) => this.docker.listVolumes({ filters, abortSignal })),
        this.call('list networks', (abortSignal) => this.docker.listNetworks({ filters, abortSignal })),
      ]);
      const [removedVolumes, removedNetworks] = await Promise.all([
        this.removeEach(
          'volume',
          volumes.Volumes.map((v) => v.Name),
          (name, abortSignal) => this.docker.getVolume(name).remove({ abortSignal }),
        ),
        this.removeEach(
          'network',
          networks.map((n) => n.Id),
          (id, abortSignal) => this.docker.getNetwork(id).remove({ abortSignal }),
        ),
      ]);
      return { containers: removedContainers, volumes: removedVolumes, networks: removedNetworks };
    } catch (error) {
      throw toRuntimeError(error, 'leftovers');
    }
  }

  /** Removes each one, logging the failures; returns how many went. */
  private async removeEach(
    what: string,
    ids: readonly string[],
    remove: (id: string, abortSignal: AbortSignal) => Promise<unknown>,
  ): Promise<number> {
    const outcomes = await Promise.allSettled(
      ids.map((id) => this.call(`remove a ${what}`, (abortSignal) => remove(id, abortSignal))),
    );
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected')
        this.logger.warn(
          { [what]: ids[index], error: engineMessage(outcome.reason) },
          `leftover ${what} not removed`,
        );
    });
    return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
  }

  async healthCheck(): Promise<void> {
    try {
      // The typings offer ping no options; only the wait for it is bounded.
      await this.call('ping', () => this.docker.ping());
    } catch (error) {
      throw new RuntimeError('runtime', `docker engine unreachable: ${engineMessage(error)}`, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    // dockerode keeps no pooled connections or timers, so there is nothing to release.
    await Promise.resolve();
  }

  private readResultFile(container: Container): Promise<string | undefined> {
    return this.call('read $TORK_OUTPUT', async (abortSignal) => {
      let archive: NodeJS.ReadableStream;
      try {
        archive = await container.getArchive({ path: OUTPUT_PATH, abortSignal });
      } catch (error) {
        // 404: the task did not write $TORK_OUTPUT, so stdout is the result. A vanished container is a
        // 404 as well; it must fail the run rather than pass stdout off as its result.
        const containerGone = engineMessage(error).startsWith('No such container');
        if (statusCodeOf(error) === 404 && !containerGone) return undefined;
        throw error;
      }
      const file = await readFirstFile(archive, this.maxResultBytes);
      if (file === undefined || file.mtime.getTime() === PLACEHOLDER_MTIME.getTime()) return undefined;
      return capText(file.data, file.size > this.maxResultBytes, this.maxResultBytes);
    });
  }

  /**
   * An engine call that should answer at once, bounded by apiTimeoutMs: past it the request is
   * aborted (where dockerode takes a signal) and the call fails saying which it was.
   */
  private async call<T>(what: string, request: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new RuntimeError(
            'runtime',
            `docker engine: no answer to "${what}" within ${formatDuration(this.apiTimeoutMs)}`,
          ),
        );
      }, this.apiTimeoutMs);
    });
    try {
      return await Promise.race([request(controller.signal), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Creates the container, looking for the image only when the engine has none: without a bootstrap
   * (which inspects the image for its user) the common case costs one call, not an inspect first.
   */
  private async createContainer(
    spec: ContainerSpec & { image: string },
    staging: Staging,
  ): Promise<Container> {
    const options = containerCreateOptions(spec, staging, this.policy);
    // A copy each time: dockerode deletes the signal from the options it is given.
    const create = (): Promise<Container> =>
      this.call('create the container', (abortSignal) =>
        this.docker.createContainer({ ...options, abortSignal }),
      );
    return this.images.withImage(spec.image, spec.registry, create);
  }

  private async startSidecars(spec: ContainerSpec, signal: AbortSignal): Promise<Sidecars | undefined> {
    if (spec.sidecars === undefined || spec.sidecars.length === 0) return undefined;
    const logger = this.logger;
    return startSidecars(this.docker, spec, signal, {
      images: this.images,
      call: (what, request) => this.call(what, request),
      ...(this.probeImage === undefined ? {} : { probeImage: this.probeImage }),
      // Tasks isolated by default keep no route out through their sidecars' network.
      internal: this.policy.defaultNetwork === 'none',
      policy: this.policy,
      logger: (msg) => {
        logger.warn({}, msg);
      },
    });
  }

  /** Force-removal kills a running container first: one call covers exit, error and abort. */
  private async removeContainer(name: string, creating: Promise<Container>): Promise<void> {
    let container: Container;
    try {
      container = await creating;
    } catch {
      return; // never created
    }
    try {
      await this.call('remove the container', (abortSignal) =>
        container.remove({ force: true, v: true, abortSignal }),
      );
    } catch (error) {
      const status = statusCodeOf(error);
      // 404: already gone; 409: a removal is already in progress.
      if (status === 404 || status === 409) return;
      this.logger.warn({ container: name, error: engineMessage(error) }, 'container not removed');
    }
  }
}

/** The engine's words for a missing GPU runtime name no field; say which one and why. */
function explain(error: RuntimeError, spec: ContainerSpec): RuntimeError {
  if (spec.gpus === undefined || !/could not select device driver/i.test(error.message)) return error;
  return new RuntimeError(
    'rejected',
    `container ${spec.name}: gpus "${spec.gpus}" asked for, but this Docker engine has no GPU runtime (${engineMessage(error.cause ?? error)})`,
    { cause: error },
  );
}

/** Resolves true when `work` settles in time, false on timeout. */
async function withTimeout(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseExitCode(waited: unknown): number {
  if (isRecord(waited) && typeof waited['StatusCode'] === 'number') return waited['StatusCode'];
  throw new Error(`unexpected wait response: ${JSON.stringify(waited)}`);
}

function dockerOptions(options: DockerRuntimeOptions): DockerOptions {
  // host: undefined keeps a tcp DOCKER_HOST from overriding the socket asked for.
  if (options.socketPath !== undefined) return { socketPath: options.socketPath, host: undefined };
  if (options.host === undefined) return {};
  if (options.host.startsWith('unix://'))
    return { socketPath: options.host.slice('unix://'.length), host: undefined };
  const url = new URL(/^[a-z]+:\/\//.test(options.host) ? options.host : `tcp://${options.host}`);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return { protocol, host: url.hostname, port: url.port === '' ? 2375 : Number(url.port) };
}
