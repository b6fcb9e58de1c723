import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Docker from 'dockerode';
import type { Container, ContainerCreateOptions, DockerOptions } from 'dockerode';
import { formatDuration, isRuntimeError, RuntimeError, TorkError } from '@tork/domain';
import type {
  ContainerOutcome,
  ContainerSpec,
  Leftovers,
  OutputChunk,
  Runtime,
  RuntimeFeatures,
} from '@tork/domain';
import { ImagePuller } from './images.js';
import type { PullPolicy } from './images.js';
import { removeLeftoverNetworks, SidecarNotReadyError, startSidecars } from './sidecars.js';
import type { Sidecars } from './sidecars.js';
import { createTar, readFirstFile } from './tar.js';
import type { TarEntry } from './tar.js';

export type { PullPolicy } from './images.js';

export interface DockerRuntimeOptions {
  /** Path of the engine's unix socket; defaults to DOCKER_HOST or /var/run/docker.sock. */
  readonly socketPath?: string;
  /** Engine address over TCP: `tcp://host:2375`, `http://host:port` or a bare host name. */
  readonly host?: string;
  /** When to pull an image: only when it is not present locally (default), always, or never. */
  readonly pullPolicy?: PullPolicy;
  /** Docker network mode of task containers (default `none`: tasks get no network). */
  readonly network?: string;
  /** Largest result kept, in bytes (default 1 MiB); longer results end with a truncation marker. */
  readonly maxResultBytes?: number;
  /** An engine call that should answer at once fails after this long (default 30 s); waiting for a container, its output and pulls are exempt. */
  readonly apiTimeoutMs?: number;
  /** The image of the helper container that probes sidecars from inside their network (default `busybox`). */
  readonly probeImage?: string;
  /** Accepted for the CLI's `--temp-dir`; scripts go through the engine's API, nothing is staged on the host. */
  readonly tempDir?: string;
  readonly logger?: (msg: string) => void;
}

/** Where the script and the result file live inside every task container. */
const TORK_DIR = '/tork';
const ENTRYPOINT_PATH = `${TORK_DIR}/entrypoint`;
const OUTPUT_PATH = `${TORK_DIR}/output`;
/**
 * Writes the script (its `$1`) to the entrypoint file and runs that file as a staged one is run, as
 * PID 1. Saves `putArchive`, the engine's costliest call per task (about 40 ms of the engine's CPU: it
 * extracts through a helper process); creating /tork needs root in the container.
 */
const BOOTSTRAP =
  `mkdir -p -m 1777 ${TORK_DIR} && printf '%s' "$1" > ${ENTRYPOINT_PATH}` +
  ` && chmod 755 ${ENTRYPOINT_PATH} && exec sh -c ${ENTRYPOINT_PATH}`;
/** Larger scripts go by `putArchive`: one argument may hold at most 128 KiB (Linux's MAX_ARG_STRLEN). */
const BOOTSTRAP_MAX_SCRIPT_BYTES = 64 * 1024;
const RUN_LABEL = 'tork.run';
const TAIL_LINES = 20;
/** How much combined output is kept to cut the tail from; bounds memory for output without newlines. */
const TAIL_WINDOW_CHARS = 16_384;
/** The attach stream may close slightly after wait() returns; give it this long to drain. */
const OUTPUT_DRAIN_MS = 5_000;

export class DockerRuntime implements Runtime {
  readonly features: RuntimeFeatures = {
    images: true,
    cmd: false,
    entrypoint: false,
    files: false,
    workdir: false,
    mounts: ['volume'],
    networks: false,
    sidecars: true, // rt-docker-net hook
    registry: true, // rt-docker-net hook
    gpus: false,
    limits: true,
    user: false,
  };
  private readonly docker: Docker;
  private readonly images: ImagePuller; // rt-docker-net hook
  private readonly probeImage: string | undefined; // rt-docker-net hook
  private readonly network: string;
  private readonly maxResultBytes: number;
  private readonly apiTimeoutMs: number;
  private readonly log: (msg: string) => void;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = new Docker(dockerOptions(options));
    this.network = options.network ?? 'none';
    this.maxResultBytes = options.maxResultBytes ?? 1024 * 1024;
    this.apiTimeoutMs = options.apiTimeoutMs ?? 30_000;
    this.log = options.logger ?? (() => undefined);
    // rt-docker-net hook: pulls and the image inspect go through the ImagePuller.
    this.images = new ImagePuller(this.docker, {
      pullPolicy: options.pullPolicy,
      call: (what, request) => this.call(what, request),
      logger: this.log,
    });
    this.probeImage = options.probeImage;
    if (!Number.isSafeInteger(this.maxResultBytes) || this.maxResultBytes <= 0) {
      throw new RangeError(`maxResultBytes must be a positive integer, got ${this.maxResultBytes}`);
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

    const collector = new OutputCollector(this.maxResultBytes, spec.onOutput, this.log);
    let creating: Promise<Container> | undefined;
    let sidecars: Sidecars | undefined; // rt-docker-net hook
    try {
      await untilAborted(this.images.prepare(spec.image, spec.registry)); // rt-docker-net hook
      const staging: Staging =
        fitsBootstrap(spec) && (await untilAborted(this.images.runsAsRoot(spec.image, spec.registry)))
          ? 'bootstrap'
          : 'archive';
      // rt-docker-net hook: sidecars up and probed before the task's container exists.
      sidecars = spec.sidecars?.length
        ? await startSidecars(this.docker, spec, signal, {
            images: this.images,
            call: (what, request) => this.call(what, request),
            probeImage: this.probeImage,
            // Tasks isolated by default keep no route out through their sidecars' network.
            internal: this.network === 'none',
            logger: this.log,
          })
        : undefined;
      creating = this.createContainer(spec, staging, sidecars?.network);
      const container = await untilAborted(creating);
      if (staging === 'archive') {
        const archive = this.scriptArchive(spec.script);
        await untilAborted(
          this.call('copy the script in', (abortSignal) =>
            container.putArchive(archive, { path: '/', abortSignal }),
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
      const exitCode = parseExitCode(await untilAborted(container.wait()));
      if (!(await untilAborted(withTimeout(drained, OUTPUT_DRAIN_MS)))) {
        this.log(`container ${spec.name}: output stream still open ${OUTPUT_DRAIN_MS} ms after exit`);
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
      if (isRuntimeError(error) || error instanceof SidecarNotReadyError) throw error; // rt-docker-net hook
      throw asTorkError(error, `container ${spec.name}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Output that trails an abort or error must not reach the caller after run() has settled.
      collector.close();
      if (creating !== undefined) await this.removeContainer(spec.name, creating);
      await sidecars?.stop(); // rt-docker-net hook
    }
  }

  async createVolume(name: string): Promise<string> {
    try {
      await this.call('create a volume', (abortSignal) =>
        this.docker.createVolume({ Name: name, Driver: 'local', Labels: { tork: 'true' }, abortSignal }),
      );
      return name;
    } catch (error) {
      throw asTorkError(error, `volume ${name}`);
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
      throw asTorkError(error, `volume ${name}`);
    }
  }

  async removeLeftovers(labels: Readonly<Record<string, string>>): Promise<Leftovers> {
    const containers = await this.removeContainers(labels);
    // rt-docker-net hook: sidecar networks, once the containers on them are gone.
    const networks = await removeLeftoverNetworks(this.docker, labels, (what, request) =>
      this.call(what, request),
    ).catch((error: unknown) => {
      throw asTorkError(error, 'networks');
    });
    return { containers, volumes: 0, networks };
  }

  private async removeContainers(labels: Readonly<Record<string, string>>): Promise<number> {
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    try {
      const found = await this.call('list containers', (abortSignal) =>
        this.docker.listContainers({ all: true, filters, abortSignal }),
      );
      const removed = await Promise.allSettled(
        found.map((container) =>
          this.call('remove a container', (abortSignal) =>
            this.docker.getContainer(container.Id).remove({ force: true, v: true, abortSignal }),
          ),
        ),
      );
      return removed.filter((outcome) => outcome.status === 'fulfilled').length;
    } catch (error) {
      throw asTorkError(error, 'containers');
    }
  }

  async healthCheck(): Promise<void> {
    try {
      // The typings offer ping no options; only the wait for it is bounded.
      await this.call('ping', () => this.docker.ping());
    } catch (error) {
      throw new TorkError('UNAVAILABLE', `docker engine unreachable: ${engineMessage(error)}`, {
        retryable: true,
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    // dockerode keeps no pooled connections or timers, so there is nothing to release.
    await Promise.resolve();
  }

  private createOptions(
    spec: ContainerSpec,
    staging: Staging,
    sidecarNetwork?: string,
  ): ContainerCreateOptions {
    const env = Object.entries(spec.env)
      .filter(([key]) => key !== 'TORK_OUTPUT')
      .map(([key, value]) => `${key}=${value}`);
    env.push(`TORK_OUTPUT=${OUTPUT_PATH}`);
    const script = spec.script ?? '';
    // Executing the file through sh honours a shebang and falls back to sh for plain scripts.
    const command =
      script === ''
        ? {}
        : {
            Entrypoint: ['sh', '-c'],
            Cmd: staging === 'bootstrap' ? [BOOTSTRAP, 'tork', script] : [ENTRYPOINT_PATH],
          };
    return {
      name: containerName(spec.name),
      Image: spec.image,
      Env: env,
      Labels: { ...spec.labels, [RUN_LABEL]: spec.name },
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      ...command,
      HostConfig: {
        NetworkMode: sidecarNetwork ?? this.network, // rt-docker-net hook
        Mounts: spec.mounts.map((mount) => ({
          Type: mount.type,
          Source: mount.type === 'tmpfs' ? '' : mount.source,
          Target: mount.target,
        })),
        ...(spec.cpus !== undefined ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
        // Swap equal to memory makes the limit real instead of spilling into swap.
        ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      },
    };
  }

  /** /tork is created even without a script so that every task can write $TORK_OUTPUT. */
  private scriptArchive(script: string | undefined): Buffer {
    const entries: TarEntry[] = [{ name: 'tork/', type: 'directory', mode: 0o1777 }];
    if (script !== undefined && script !== '') {
      entries.push({ name: 'tork/entrypoint', type: 'file', mode: 0o755, data: Buffer.from(script, 'utf8') });
    }
    return createTar(entries);
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
      if (file === undefined) return undefined;
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
          new TorkError(
            'UNAVAILABLE',
            `docker engine: no answer to "${what}" within ${formatDuration(this.apiTimeoutMs)}`,
            { retryable: true },
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
    sidecarNetwork: string | undefined,
  ): Promise<Container> {
    const options = this.createOptions(spec, staging, sidecarNetwork);
    // A copy each time: dockerode deletes the signal from the options it is given.
    const create = (): Promise<Container> =>
      this.call('create the container', (abortSignal) =>
        this.docker.createContainer({ ...options, abortSignal }),
      );
    return this.images.withImage(spec.image, spec.registry, create); // rt-docker-net hook
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
      this.log(`container ${name}: remove failed: ${engineMessage(error)}`);
    }
  }
}

/**
 * How the script gets into the container: written by the bootstrap from the command line, or copied
 * in with `putArchive` (no script, a large one, a task that sets PATH, or an image whose user cannot
 * create /tork).
 */
type Staging = 'bootstrap' | 'archive';

function fitsBootstrap({ script, env }: ContainerSpec): boolean {
  return (
    script !== undefined &&
    script !== '' &&
    !script.includes('\0') &&
    Buffer.byteLength(script, 'utf8') <= BOOTSTRAP_MAX_SCRIPT_BYTES &&
    // The bootstrap finds mkdir and chmod through PATH; a task's own PATH might not lead to them.
    !Object.hasOwn(env, 'PATH')
  );
}

/** Collects a run's output: every chunk to onOutput, stdout up to the cap, and a tail of both streams. */
class OutputCollector {
  private readonly stdoutChunks: Buffer[] = [];
  private stdoutBytes = 0;
  private stdoutTruncated = false;
  private tailText = '';
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(
    private readonly maxBytes: number,
    private readonly onOutput: ((chunk: OutputChunk) => void) | undefined,
    private readonly log: (msg: string) => void,
  ) {}

  private closed = false;

  write(stream: OutputChunk['stream'], chunk: Buffer): void {
    if (this.closed) return;
    if (stream === 'stdout') this.keepStdout(chunk);
    this.emit(stream, this.decoders[stream].write(chunk));
  }

  end(): void {
    this.emit('stdout', this.decoders.stdout.end());
    this.emit('stderr', this.decoders.stderr.end());
  }

  close(): void {
    this.closed = true;
  }

  stdout(): string {
    return capText(Buffer.concat(this.stdoutChunks), this.stdoutTruncated, this.maxBytes);
  }

  tail(): string {
    const lines = this.tailText.replace(/\n+$/, '').split('\n');
    return lines.slice(-TAIL_LINES).join('\n');
  }

  private keepStdout(chunk: Buffer): void {
    const room = this.maxBytes - this.stdoutBytes;
    if (chunk.length > room) this.stdoutTruncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.stdoutChunks.push(kept);
    this.stdoutBytes += kept.length;
  }

  private emit(stream: OutputChunk['stream'], text: string): void {
    if (text === '') return;
    this.tailText += text;
    if (this.tailText.length > TAIL_WINDOW_CHARS * 2) this.tailText = this.tailText.slice(-TAIL_WINDOW_CHARS);
    try {
      this.onOutput?.({ stream, text });
    } catch (error) {
      // A faulty listener must not break the run whose output it watches.
      this.log(`onOutput listener failed: ${engineMessage(error)}`);
    }
  }
}

/** Demultiplexes the attach stream into the collector; resolves when the stream ends. */
function drainInto(docker: Docker, stream: NodeJS.ReadableStream, collector: OutputCollector): Promise<void> {
  const sink = (name: OutputChunk['stream']): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        collector.write(name, chunk);
        callback();
      },
    });
  return new Promise<void>((resolve) => {
    // Errors end the output too: the exit code and inspect decide the outcome, not the log stream.
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => {
      resolve();
    });
    docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));
  });
}

const TRUNCATION_MARKER = (max: number): string => `\n[truncated: output exceeded ${max} bytes]`;

/** Decodes without flushing, so a multi-byte character cut by the cap is dropped rather than garbled. */
function capText(bytes: Buffer, truncated: boolean, max: number): string {
  if (!truncated) return bytes.toString('utf8');
  return new StringDecoder('utf8').write(bytes.subarray(0, max)) + TRUNCATION_MARKER(max);
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

/** Docker names allow [a-zA-Z0-9_.-]; the run name stays intact in the label. */
function containerName(runName: string): string {
  return `tork-${runName.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function statusCodeOf(error: unknown): number | undefined {
  return isRecord(error) && typeof error['statusCode'] === 'number' ? error['statusCode'] : undefined;
}

/** dockerode wraps the engine's own words in `json.message`; prefer them over the HTTP summary. */
function engineMessage(error: unknown): string {
  if (isRecord(error)) {
    const json = error['json'];
    if (isRecord(json) && typeof json['message'] === 'string') return json['message'].trim();
    if (typeof json === 'string' && json.trim() !== '') return json.trim();
  }
  // Without a JSON body dockerode prefixes the engine's text with its own HTTP summary.
  if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return String(error);
}

function asTorkError(error: unknown, subject: string): TorkError {
  if (error instanceof TorkError) return error;
  const status = statusCodeOf(error);
  const message = `${subject}: ${engineMessage(error)}`;
  if (status === 404) return new TorkError('NOT_FOUND', message, { cause: error });
  if (status === 409) return new TorkError('CONFLICT', message, { cause: error });
  if (isConnectionError(error))
    return new TorkError('UNAVAILABLE', message, { cause: error, retryable: true });
  return new TorkError('INTERNAL', message, { cause: error });
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/** The engine was not reached at all: worth retrying later, unlike an engine that said no. */
function isConnectionError(error: unknown): boolean {
  return isRecord(error) && typeof error['code'] === 'string' && CONNECTION_ERRORS.has(error['code']);
}
