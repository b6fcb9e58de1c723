import type Docker from 'dockerode';
import type { Container, ContainerCreateOptions } from 'dockerode';
import { formatDuration, RuntimeError } from '@tork/domain';
import type { ContainerSpec, RegistryAuth, SidecarProbe, SidecarSpec } from '@tork/domain';
import type { EngineCall, ImagePuller, PullPolicy } from './images.js';
import { registryAddress } from './images.js';
import { DEFAULT_PIDS_LIMIT, DROPPED_CAPABILITIES, hardening } from './container-spec.js';
import type { ContainerPolicy } from './container-spec.js';
import { isRecord, statusCodeOf } from './engine-errors.js';

/** Sidecar names are host names on the task's network; the worker slugs them, this guards the runtime. */
const SIDECAR_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** Every container and network of a run carries its name, so the run's cleanup and leftovers find them. */
const RUN_LABEL = 'tork.run';
const SIDECAR_LABEL = 'tork.sidecar';
const PROBE_LABEL = 'tork.probe';
/** Docker's default capabilities that tasks rarely need; the same list as task containers drop. */
/** Time past the probe's own deadline for its helper container to start and report. */
const PROBE_GRACE_MS = 10_000;
/**
 * The probe loop, run by a helper container on the task's network: a GET until one answers 2xx, each
 * bounded to 2 s, every ~250 ms, until the deadline. URL and deadline come in the environment, so a
 * path cannot inject shell. `timeout`, not wget's `-T`: Debian's busybox 1.35 wget crashes with `-T`.
 */
const PROBE_SCRIPT =
  'end=$(( $(date +%s) + PROBE_SECONDS )); ' +
  'until timeout 2 wget -q -O /dev/null "$PROBE_URL"; do ' +
  '[ "$(date +%s)" -ge "$end" ] && exit 1; sleep 0.25; done';

/**
 * A sidecar's probe got no 200 in time: the task's own doing (its sidecar's image, command or probe),
 * so the task fails with kind `timeout`, never handed back as an engine failure would be.
 */
export class SidecarNotReadyError extends RuntimeError {
  override readonly name = 'SidecarNotReadyError';

  constructor(
    readonly sidecar: string,
    probe: SidecarProbe,
  ) {
    super(
      'timeout',
      `sidecar "${sidecar}" did not answer 200 on :${probe.port}${probe.path} within ${formatDuration(probe.timeoutMs)}`,
    );
  }
}

export interface SidecarsOptions {
  readonly images: ImagePuller;
  readonly call: EngineCall;
  /**
   * The image of the probe's helper container: it needs `sh`, `date`, `sleep`, `timeout` and `wget`
   * (busybox). Pulled only when missing, whatever the pull policy: it is the worker's tool, not the task's.
   */
  readonly probeImage?: string;
  /** The network gets no route out (Docker's `--internal`): for a worker whose tasks get no network. */
  readonly internal?: boolean;
  readonly logger?: (msg: string) => void;
  /** The worker's hardening of task containers, applied to sidecars too; default: the fixed defaults. */
  readonly policy?: ContainerPolicy;
}

/** The sidecars of one run, up and ready. */
export interface Sidecars {
  /** The per-task network the sidecars are on; the task container joins it. */
  readonly network: string;
  /** Removes the sidecars, the probes' helpers and the network; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts the spec's sidecars on a network of their own, each reachable by its name, and waits until
 * every probe answers. A probe that never answers rejects with {@link SidecarNotReadyError}; an abort
 * with the signal's reason. Nothing is left behind on either path.
 */
export async function startSidecars(
  docker: Docker,
  spec: ContainerSpec,
  signal: AbortSignal,
  options: SidecarsOptions,
): Promise<Sidecars> {
  const sidecars = spec.sidecars ?? [];
  validateNames(sidecars);
  const group = new SidecarGroup(docker, spec, options);
  try {
    await untilAborted(signal, group.createNetwork());
    await Promise.all(sidecars.map((sidecar) => untilAborted(signal, group.start(sidecar))));
    await Promise.all(sidecars.map((sidecar) => group.probe(sidecar, signal)));
  } catch (error) {
    await group.stop();
    throw error;
  }
  return { network: group.network, stop: () => group.stop() };
}

function validateNames(sidecars: readonly SidecarSpec[]): void {
  const seen = new Set<string>();
  for (const { name } of sidecars) {
    if (!SIDECAR_NAME.test(name)) {
      throw new RuntimeError(
        'rejected',
        `sidecar "${name}": a name is lower-case letters, digits and dashes`,
      );
    }
    if (seen.has(name)) throw new RuntimeError('rejected', `sidecar "${name}": named twice`);
    seen.add(name);
  }
}

/** The containers and network of one run's sidecars, tracked as they are created so stop() finds them. */
class SidecarGroup {
  readonly network: string;
  private networkCreated: Promise<unknown> | undefined;
  private readonly containers: Promise<Container>[] = [];
  private stopping: Promise<void> | undefined;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly docker: Docker,
    private readonly spec: ContainerSpec,
    private readonly options: SidecarsOptions,
  ) {
    this.network = `${dockerName(spec.name)}-net`;
    this.log = options.logger ?? (() => undefined);
  }

  createNetwork(): Promise<unknown> {
    this.networkCreated = this.options.call('create the sidecars network', (abortSignal) =>
      this.docker.createNetwork({
        Name: this.network,
        Driver: 'bridge',
        Internal: this.options.internal ?? false,
        CheckDuplicate: true,
        Labels: { ...this.spec.labels, [RUN_LABEL]: this.spec.name },
        abortSignal,
      }),
    );
    return this.networkCreated;
  }

  async start(sidecar: SidecarSpec): Promise<void> {
    const auth = this.authFor(sidecar.image);
    await this.options.images.prepare(sidecar.image, auth);
    const container = await this.create(
      sidecar.image,
      auth,
      this.createOptions(sidecar),
      `${dockerName(this.spec.name)}-${sidecar.name}`,
    );
    await this.options.call(`start sidecar "${sidecar.name}"`, (abortSignal) =>
      container.start({ abortSignal }),
    );
  }

  /** Runs one helper container for the whole probe (not one per attempt) and waits for its verdict. */
  async probe(sidecar: SidecarSpec, signal: AbortSignal): Promise<void> {
    const { probe } = sidecar;
    if (probe === undefined) return;
    const image = this.options.probeImage ?? 'busybox';
    const url = `http://${sidecar.name}:${probe.port}${probe.path}`;
    const helper = await untilAborted(
      signal,
      this.create(
        image,
        undefined,
        {
          Image: image,
          Entrypoint: ['sh', '-c'],
          Cmd: [PROBE_SCRIPT],
          Env: [`PROBE_URL=${url}`, `PROBE_SECONDS=${Math.max(1, Math.ceil(probe.timeoutMs / 1000))}`],
          Labels: this.labels({ [PROBE_LABEL]: sidecar.name }),
          HostConfig: this.hostConfig(),
        },
        `${dockerName(this.spec.name)}-probe-${sidecar.name}`,
        'missing',
      ),
    );
    // Wait for the next exit before start, so that an exit as fast as the start is not missed; the
    // default condition would answer at once for a container that is not running yet.
    const waited = helper.wait({ condition: 'next-exit' });
    await untilAborted(
      signal,
      this.options.call(`start the probe of sidecar "${sidecar.name}"`, (abortSignal) =>
        helper.start({ abortSignal }),
      ),
    );
    const exitCode = await untilAborted(signal, withDeadline(waited, probe.timeoutMs + PROBE_GRACE_MS));
    if (exitCode !== 0) throw new SidecarNotReadyError(sidecar.name, probe);
  }

  stop(): Promise<void> {
    this.stopping ??= this.removeAll();
    return this.stopping;
  }

  private async removeAll(): Promise<void> {
    // Force-removal kills a running container first; the network can go only once they are gone.
    await Promise.all(this.containers.map((creating) => this.removeContainer(creating)));
    if (this.networkCreated === undefined) return;
    try {
      await this.networkCreated;
    } catch {
      return; // never created
    }
    try {
      await this.options.call('remove the sidecars network', (abortSignal) =>
        this.docker.getNetwork(this.network).remove({ abortSignal }),
      );
    } catch (error) {
      if (statusCodeOf(error) !== 404)
        this.log(`network ${this.network}: remove failed: ${messageOf(error)}`);
    }
  }

  private async removeContainer(creating: Promise<Container>): Promise<void> {
    let container: Container;
    try {
      container = await creating;
    } catch {
      return; // never created
    }
    try {
      await this.options.call('remove a sidecar', (abortSignal) =>
        container.remove({ force: true, v: true, abortSignal }),
      );
    } catch (error) {
      const status = statusCodeOf(error);
      // 404: already gone; 409: a removal is already in progress.
      if (status !== 404 && status !== 409)
        this.log(`container ${container.id}: remove failed: ${messageOf(error)}`);
    }
  }

  /** Creates a container on the network (pulling its image per the policy) and tracks it for stop(). */
  private create(
    image: string,
    auth: RegistryAuth | undefined,
    options: ContainerCreateOptions,
    name: string,
    policy?: PullPolicy,
  ): Promise<Container> {
    // A start still pulling when stop() ran must not create what stop() can no longer see.
    if (this.stopping !== undefined)
      return Promise.reject(new Error(`sidecars of ${this.spec.name}: stopped`));
    const creating = this.options.images.withImage(
      image,
      auth,
      () =>
        // A copy each time: dockerode deletes the signal from the options it is given.
        this.options.call('create a sidecar', (abortSignal) =>
          this.docker.createContainer({ ...options, name, abortSignal }),
        ),
      policy,
    );
    this.containers.push(creating);
    return creating;
  }

  private createOptions(sidecar: SidecarSpec): ContainerCreateOptions {
    const script = sidecar.script ?? '';
    const command =
      script !== ''
        ? { Entrypoint: [...(sidecar.entrypoint ?? ['sh', '-c'])], Cmd: [script] }
        : {
            ...(sidecar.entrypoint === undefined ? {} : { Entrypoint: [...sidecar.entrypoint] }),
            ...(sidecar.cmd === undefined ? {} : { Cmd: [...sidecar.cmd] }),
          };
    return {
      Image: sidecar.image,
      Env: Object.entries(sidecar.env).map(([key, value]) => `${key}=${value}`),
      Labels: this.labels({ [SIDECAR_LABEL]: sidecar.name }),
      ...command,
      // Sidecars are hardened as the worker hardens its tasks (-pids-limit, -cap-add, -read-only-rootfs).
      HostConfig: {
        NetworkMode: this.network,
        ...(this.options.policy === undefined ? this.hostConfig() : hardening(this.options.policy)),
      },
      NetworkingConfig: { EndpointsConfig: { [this.network]: { Aliases: [sidecar.name] } } },
    };
  }

  /** The probe helpers' (the worker's own containers), and sidecars' when no policy is given. */
  private hostConfig(): NonNullable<ContainerCreateOptions['HostConfig']> {
    return {
      NetworkMode: this.network,
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: DEFAULT_PIDS_LIMIT,
      CapDrop: [...DROPPED_CAPABILITIES],
    };
  }

  private labels(own: Record<string, string>): Record<string, string> {
    return { ...this.spec.labels, [RUN_LABEL]: this.spec.name, ...own };
  }

  /** The task's credentials go only to its own image's registry, never to another host. */
  private authFor(image: string): RegistryAuth | undefined {
    const { registry } = this.spec;
    if (registry === undefined || this.spec.image === undefined) return undefined;
    return registryAddress(image) === registryAddress(this.spec.image) ? registry : undefined;
  }
}

/** Removes the networks whose labels include all of `labels` (their containers must be gone first). */
export async function removeLeftoverNetworks(
  docker: Docker,
  labels: Readonly<Record<string, string>>,
  call: EngineCall,
): Promise<number> {
  const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
  const found = await call('list networks', (abortSignal) => docker.listNetworks({ filters, abortSignal }));
  const removed = await Promise.allSettled(
    found.map((network) =>
      call('remove a network', (abortSignal) => docker.getNetwork(network.Id).remove({ abortSignal })),
    ),
  );
  return removed.filter((outcome) => outcome.status === 'fulfilled').length;
}

/** Rejects with the signal's reason once it aborts; the work goes on and is cleaned up by stop(). */
function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the port promises the signal's own reason
    return Promise.reject(signal.reason);
  }
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the port promises the signal's own reason
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // The losing side of the race must not surface as an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, aborted]).finally(() => {
    signal.removeEventListener('abort', onAbort);
  });
}

/** The helper's exit code, or 1 when it has not exited by the deadline (its own loop should end first). */
async function withDeadline(waited: Promise<unknown>, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      resolve(1);
    }, ms);
  });
  try {
    return await Promise.race([waited.then(exitCodeOf), late]);
  } finally {
    clearTimeout(timer);
  }
}

function exitCodeOf(waited: unknown): number {
  if (isRecord(waited) && typeof waited['StatusCode'] === 'number') return waited['StatusCode'];
  throw new Error(`unexpected wait response: ${JSON.stringify(waited)}`);
}

/** Docker names allow [a-zA-Z0-9_.-]; the run name stays intact in the label. */
function dockerName(runName: string): string {
  return `tork-${runName.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
