import type { ContainerCreateOptions, MountSettings } from 'dockerode';
import { RuntimeError } from '@tork/domain';
import type { ContainerSpec, Mount } from '@tork/domain';
import { parseGpus } from './gpus.js';

/** Where the script, the result file and the progress file live inside every task container. */
export const TORK_DIR = '/tork';
export const ENTRYPOINT_PATH = `${TORK_DIR}/entrypoint`;
export const OUTPUT_PATH = `${TORK_DIR}/output`;
export const PROGRESS_PATH = `${TORK_DIR}/progress`;
/** The working directory `files` land in when the task names none. */
export const DEFAULT_WORKDIR = `${TORK_DIR}/workdir`;
export const RUN_LABEL = 'tork.run';

/**
 * Writes the script (its `$1`) to the entrypoint file and runs that file as a staged one is run, as
 * PID 1. Saves `putArchive`, the engine's costliest call per task (it extracts through a helper
 * process); creating /tork needs root in the container.
 */
const BOOTSTRAP =
  `mkdir -p -m 1777 ${TORK_DIR} && printf '%s' "$1" > ${ENTRYPOINT_PATH}` +
  ` && chmod 755 ${ENTRYPOINT_PATH} && exec sh -c ${ENTRYPOINT_PATH}`;
/** On a read-only root /tork is a fresh volume, owned by root with mode 755: open it to any user. */
const BOOTSTRAP_READ_ONLY = `chmod 1777 ${TORK_DIR} && ${BOOTSTRAP}`;
/** Larger scripts go by `putArchive`: one argument may hold at most 128 KiB (Linux's MAX_ARG_STRLEN). */
const BOOTSTRAP_MAX_SCRIPT_BYTES = 64 * 1024;
const MAX_ARGUMENT_BYTES = 128 * 1024 - 1;

/**
 * Capabilities in Docker's default set that tasks rarely need; package managers keep CHOWN,
 * DAC_OVERRIDE, FOWNER, SETUID, SETGID, KILL and the rest.
 */
export const DROPPED_CAPABILITIES: readonly string[] = [
  'NET_RAW',
  'MKNOD',
  'AUDIT_WRITE',
  'SETFCAP',
  'SYS_CHROOT',
];
export const DEFAULT_PIDS_LIMIT = 1024;

/** A worker's settings that shape every task container. */
export interface ContainerPolicy {
  /** Network of containers whose task names none; unset: the engine's default network. */
  readonly defaultNetwork?: string;
  readonly pidsLimit: number;
  /** Capabilities given back: removed from the drop list and added. */
  readonly capAdd: readonly string[];
  readonly privileged: boolean;
  /** Root filesystem read-only, with /tmp a writable tmpfs and /tork a volume of the container's own. */
  readonly readOnlyRootfs: boolean;
}

/**
 * How the script gets into the container: written by the bootstrap from the command line, or copied
 * in with `putArchive` (no script, a large one, an entrypoint, files, a task that sets PATH, or a
 * user who cannot create /tork).
 */
export type Staging = 'bootstrap' | 'archive';

/** How to stage this spec, given whether its process runs as root. */
export function stagingFor(spec: ContainerSpec, runsAsRoot: boolean): Staging {
  const { script, env } = spec;
  const fits =
    runsAsRoot &&
    script !== undefined &&
    script !== '' &&
    spec.entrypoint === undefined &&
    Object.keys(spec.files ?? {}).length === 0 &&
    !script.includes('\0') &&
    Buffer.byteLength(script, 'utf8') <= BOOTSTRAP_MAX_SCRIPT_BYTES &&
    // The bootstrap finds mkdir and chmod through PATH; a task's own PATH might not lead to them.
    !Object.hasOwn(env, 'PATH');
  return fits ? 'bootstrap' : 'archive';
}

/** Whether the staging depends on the image's user, which only an inspect of the image tells. */
export function stagingNeedsImageUser(spec: ContainerSpec): boolean {
  return spec.user === undefined && stagingFor(spec, true) === 'bootstrap';
}

/** A user (name or uid, optionally `:group`); empty means root. */
export function isRootUser(user: string): boolean {
  const name = user.split(':')[0] ?? '';
  return name === '' || name === 'root' || name === '0';
}

/** Docker names allow [a-zA-Z0-9_.-]; the run name stays intact in the label. */
export function containerName(runName: string): string {
  return `tork-${runName.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
}

/** The working directory of the container, when the runtime sets one. */
export function workdirOf(spec: ContainerSpec): string | undefined {
  return spec.workdir ?? (Object.keys(spec.files ?? {}).length > 0 ? DEFAULT_WORKDIR : undefined);
}

/**
 * The engine's create options for a task container: its command, env, mounts, limits, network and
 * the hardening every task gets. Pure: refuses what cannot be honoured with RuntimeError 'rejected'.
 */
export function containerCreateOptions(
  spec: ContainerSpec & { readonly image: string },
  staging: Staging,
  policy: ContainerPolicy,
): ContainerCreateOptions {
  const env = Object.entries(spec.env)
    .filter(([key]) => key !== 'TORK_OUTPUT' && key !== 'TORK_PROGRESS')
    .map(([key, value]) => `${key}=${value}`);
  env.push(`TORK_OUTPUT=${OUTPUT_PATH}`, `TORK_PROGRESS=${PROGRESS_PATH}`);
  const [firstNetwork] = spec.networks ?? [];
  const networkMode = firstNetwork ?? policy.defaultNetwork;
  const workdir = workdirOf(spec);
  return {
    name: containerName(spec.name),
    Image: spec.image,
    Env: env,
    Labels: { ...spec.labels, [RUN_LABEL]: spec.name },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    ...command(spec, staging, policy.readOnlyRootfs),
    ...(workdir === undefined ? {} : { WorkingDir: workdir }),
    ...(spec.user === undefined ? {} : { User: spec.user }),
    HostConfig: {
      ...(networkMode === undefined ? {} : { NetworkMode: networkMode }),
      Mounts: [
        ...spec.mounts.map((mount) => mountSettings(mount, spec.labels ?? {})),
        // A volume, unlike a tmpfs, is there before the start and after the exit for the archive calls.
        ...(policy.readOnlyRootfs ? [volumeSettings(undefined, TORK_DIR, spec.labels ?? {})] : []),
      ],
      ...(spec.cpus !== undefined ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      // Swap equal to memory makes the limit real instead of spilling into swap.
      ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      ...(spec.gpus === undefined ? {} : { DeviceRequests: [parseGpus(spec.gpus)] }),
      ...hardening(policy),
    },
  };
}

function command(
  spec: ContainerSpec,
  staging: Staging,
  readOnlyRootfs: boolean,
): Pick<ContainerCreateOptions, 'Entrypoint' | 'Cmd'> {
  const script = spec.script ?? '';
  if (script === '') {
    return {
      ...(spec.entrypoint === undefined ? {} : { Entrypoint: [...spec.entrypoint] }),
      ...(spec.cmd === undefined ? {} : { Cmd: [...spec.cmd] }),
    };
  }
  if (spec.entrypoint !== undefined) {
    // The script is the entrypoint's last argument (`bash -c <script>`), so it must fit in one.
    if (Buffer.byteLength(script, 'utf8') > MAX_ARGUMENT_BYTES || script.includes('\0'))
      throw new RuntimeError(
        'rejected',
        `container ${spec.name}: a script run through an entrypoint must be under 128 KiB and hold no NUL byte`,
      );
    return { Entrypoint: [...spec.entrypoint], Cmd: [script] };
  }
  // Executing the file through sh honours a shebang and falls back to sh for plain scripts.
  return {
    Entrypoint: ['sh', '-c'],
    Cmd:
      staging === 'bootstrap'
        ? [readOnlyRootfs ? BOOTSTRAP_READ_ONLY : BOOTSTRAP, 'tork', script]
        : [ENTRYPOINT_PATH],
  };
}

function mountSettings(mount: Mount, labels: Readonly<Record<string, string>>): MountSettings {
  if (mount.target === TORK_DIR || mount.target.startsWith(`${TORK_DIR}/`))
    throw new RuntimeError('rejected', `mount target ${mount.target}: ${TORK_DIR} belongs to the runtime`);
  switch (mount.type) {
    case 'volume':
      return volumeSettings(mount.source, mount.target, labels);
    case 'tmpfs':
      return {
        Type: 'tmpfs',
        Source: '',
        Target: mount.target,
        ...(mount.sizeBytes === undefined
          ? {}
          : { TmpfsOptions: { SizeBytes: mount.sizeBytes, Mode: 0o1777 } }),
      };
    case 'bind':
      return { Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly ?? false };
  }
}

/** Labels reach a volume the engine creates (an anonymous one, or a name it does not know): cleanup finds it. */
function volumeSettings(
  source: string | undefined,
  target: string,
  labels: Readonly<Record<string, string>>,
): MountSettings {
  return {
    Type: 'volume',
    // An empty source makes an anonymous volume, removed with its container.
    Source: source ?? '',
    Target: target,
    VolumeOptions: { NoCopy: false, Labels: { ...labels }, DriverConfig: { Name: 'local', Options: {} } },
  };
}

/** The hardening of every container a task starts: its own and its sidecars'. */
export function hardening(policy: ContainerPolicy): NonNullable<ContainerCreateOptions['HostConfig']> {
  const added = new Set(policy.capAdd.map(normalCapability));
  return {
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: policy.pidsLimit,
    CapDrop: DROPPED_CAPABILITIES.filter((capability) => !added.has(capability)),
    ...(added.size === 0 ? {} : { CapAdd: [...added] }),
    Privileged: policy.privileged,
    ...(policy.readOnlyRootfs
      ? {
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': 'rw,exec,nosuid,nodev,mode=1777' },
        }
      : {}),
  };
}

/** `cap_net_raw` and `NET_RAW` name the same capability; Docker's lists use the short upper form. */
function normalCapability(name: string): string {
  return name.toUpperCase().replace(/^CAP_/, '');
}
