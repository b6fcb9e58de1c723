import { isAbsolute, normalize } from 'node:path';
import { parseCpus, parseDuration, parseSize, type WorkerPolicy } from '@tork/domain';
import { UsageError, type FlagSpec, type ParsedFlags } from './flags.js';

/**
 * The flags of task containers: a worker's own ceilings and bind policy (the API takes the same
 * flags and refuses with 400 what its workers would), and how its containers are hardened.
 */

/** How a worker's task containers are set up beyond what a task asks for. */
export interface ContainerConfig {
  /** The network of a task that names none; none: the engine's default. */
  readonly defaultNetwork?: string;
  readonly pidsLimit: number;
  /** Capabilities given back on top of the hardened default set, e.g. NET_RAW. */
  readonly capAdd: readonly string[];
  readonly privileged: boolean;
  readonly readOnlyRootfs: boolean;
  /** The image the worker probes sidecars with, from inside their network. */
  readonly probeImage: string;
  /** When images are pulled: when missing (default), before every task, or never. */
  readonly pullPolicy: PullPolicy;
}

export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** The user the shell runtime runs tasks as; none: the engine's own. */
export interface ShellConfig {
  readonly uid?: number;
  readonly gid?: number;
}

export const DEFAULT_PIDS_LIMIT = 1024;
export const DEFAULT_PROBE_IMAGE = 'busybox';

/** Linux capabilities by name (capabilities(7)), as Docker takes them without `CAP_`. */
const CAPABILITIES = new Set([
  'AUDIT_CONTROL',
  'AUDIT_READ',
  'AUDIT_WRITE',
  'BLOCK_SUSPEND',
  'BPF',
  'CHECKPOINT_RESTORE',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'IPC_LOCK',
  'IPC_OWNER',
  'KILL',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'MKNOD',
  'NET_ADMIN',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_RAW',
  'PERFMON',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_CHROOT',
  'SYS_MODULE',
  'SYS_NICE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'SYSLOG',
  'WAKE_ALARM',
]);

export const CONTAINER_FLAGS: readonly FlagSpec[] = [
  { name: 'max-cpus', value: 'CPUS', help: 'most CPUs a task may ask for (the API refuses more with 400)' },
  { name: 'max-memory', value: 'SIZE', help: 'most memory a task may ask for, e.g. 8g' },
  { name: 'max-timeout', value: 'DURATION', help: 'longest timeout a task may set, e.g. 6h' },
  {
    name: 'mounts-bind-allowed',
    value: '',
    help: 'tasks may mount host paths (bind), under a -mounts-bind-prefix only',
    boolean: true,
  },
  {
    name: 'mounts-bind-prefix',
    value: 'PATH[,PATH]',
    help: 'a host directory under which bind mounts may have their source (needs -mounts-bind-allowed)',
    repeatable: true,
  },
  {
    name: 'default-network',
    value: 'NAME',
    help: "Docker network of tasks that name none, e.g. none to isolate them (default: the engine's)",
  },
  {
    name: 'pids-limit',
    value: 'N',
    help: 'most processes a task container may run at once',
    default: String(DEFAULT_PIDS_LIMIT),
  },
  {
    name: 'cap-add',
    value: 'CAP[,CAP]',
    help: 'a capability to give back to task containers, e.g. NET_RAW (dropped by default)',
    repeatable: true,
  },
  {
    name: 'privileged',
    value: '',
    help: 'run task containers privileged: they can take over the host; never on a shared engine',
    boolean: true,
  },
  {
    name: 'read-only-rootfs',
    value: '',
    help: 'task containers get a read-only root filesystem (/tmp and /tork stay writable)',
    boolean: true,
  },
  {
    name: 'shell-uid',
    value: 'N',
    help: "with -runtime shell: the user id tasks run as (default: the engine's own)",
  },
  {
    name: 'shell-gid',
    value: 'N',
    help: "with -runtime shell: the group id tasks run as (default: the engine's own)",
  },
  {
    name: 'pull-policy',
    value: 'POLICY',
    help: 'when task images are pulled: missing (an image on the engine is used as it is, whoever pulled it), always (every task proves its registry credentials), or never',
    default: 'missing',
  },
  {
    name: 'probe-image',
    value: 'IMAGE',
    help: 'image that probes sidecars from inside their network',
    default: DEFAULT_PROBE_IMAGE,
  },
];

export interface ContainerSettings {
  readonly workerPolicy: WorkerPolicy;
  readonly container: ContainerConfig;
  readonly shell: ShellConfig;
  readonly warnings: readonly string[];
}

/**
 * The container flags as typed settings, or a UsageError naming the flag. `shellRuntime` and
 * `processUid` decide the warning about running shell tasks as root.
 */
export function parseContainerFlags(
  flags: ParsedFlags,
  shellRuntime: boolean,
  processUid: number | undefined,
): ContainerSettings {
  const last = (name: string): string | undefined => flags.get(name)?.at(-1);
  const on = (name: string): boolean => last(name) === 'true';
  const warnings: string[] = [];
  const maxCpusText = last('max-cpus');
  const maxCpus = maxCpusText === undefined ? undefined : parseCpus(maxCpusText);
  if (maxCpusText !== undefined && maxCpus === undefined)
    throw new UsageError(`-max-cpus "${maxCpusText}" is not a positive number of CPUs`);
  const maxMemoryText = last('max-memory');
  const maxMemoryBytes = maxMemoryText === undefined ? undefined : parseSize(maxMemoryText);
  if (maxMemoryText !== undefined && maxMemoryBytes === undefined)
    throw new UsageError(
      `-max-memory "${maxMemoryText}" is not a size (a positive integer with b, k, m or g)`,
    );
  const maxTimeoutText = last('max-timeout');
  const maxTimeoutMs = maxTimeoutText === undefined ? undefined : parseDuration(maxTimeoutText);
  if (maxTimeoutText !== undefined && (maxTimeoutMs === undefined || maxTimeoutMs <= 0))
    throw new UsageError(`-max-timeout must be a duration such as 30m or 6h; got "${maxTimeoutText}"`);
  const bindPrefixes = parseBindPrefixes(on('mounts-bind-allowed'), flags.get('mounts-bind-prefix') ?? []);
  const privileged = on('privileged');
  if (privileged) warnings.push('-privileged: task containers run privileged and can take over this host');
  const shell = {
    ...optional('uid', parseId(last('shell-uid'), 'shell-uid')),
    ...optional('gid', parseId(last('shell-gid'), 'shell-gid')),
  };
  if (shellRuntime && shell.uid === undefined && processUid === 0)
    warnings.push("-runtime shell runs tasks as root, the engine's own user: give -shell-uid and -shell-gid");
  const defaultNetwork = last('default-network');
  if (defaultNetwork !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(defaultNetwork))
    throw new UsageError(`-default-network "${defaultNetwork}" is not a Docker network name`);
  const probeImage = last('probe-image') ?? DEFAULT_PROBE_IMAGE;
  if (probeImage === '' || /\s/.test(probeImage))
    throw new UsageError(`-probe-image "${probeImage}" is not an image name`);
  const pullPolicy = last('pull-policy') ?? 'missing';
  if (!(PULL_POLICIES as readonly string[]).includes(pullPolicy))
    throw new UsageError(`-pull-policy must be one of ${PULL_POLICIES.join(', ')}; got "${pullPolicy}"`);
  return {
    workerPolicy: {
      ...optional('maxCpus', maxCpus),
      ...optional('maxMemoryBytes', maxMemoryBytes),
      ...optional('maxTimeoutMs', maxTimeoutMs),
      ...(bindPrefixes.length === 0 ? {} : { bindPrefixes }),
    },
    container: {
      ...optional('defaultNetwork', defaultNetwork),
      pidsLimit: parsePidsLimit(last('pids-limit') ?? String(DEFAULT_PIDS_LIMIT)),
      capAdd: parseCapabilities(flags.get('cap-add') ?? []),
      privileged,
      readOnlyRootfs: on('read-only-rootfs'),
      probeImage,
      pullPolicy: pullPolicy as PullPolicy,
    },
    shell,
    warnings,
  };
}

function parseBindPrefixes(allowed: boolean, given: readonly string[]): string[] {
  const prefixes = given.flatMap((entry) => entry.split(',')).map((item) => item.trim());
  if (!allowed) {
    if (prefixes.length > 0)
      throw new UsageError('-mounts-bind-prefix needs -mounts-bind-allowed: binds are off without it');
    return [];
  }
  if (prefixes.filter((prefix) => prefix !== '').length === 0)
    throw new UsageError(
      '-mounts-bind-allowed needs at least one -mounts-bind-prefix: the host directories binds may come from',
    );
  return prefixes
    .filter((prefix) => prefix !== '')
    .map((prefix) => {
      if (!isAbsolute(prefix) || prefix.split('/').includes('..'))
        throw new UsageError(`-mounts-bind-prefix "${prefix}" must be an absolute path without ".."`);
      return normalize(prefix);
    });
}

function parseCapabilities(given: readonly string[]): string[] {
  const names = given
    .flatMap((entry) => entry.split(','))
    .map((item) => item.trim().toUpperCase().replace(/^CAP_/, ''))
    .filter((item) => item !== '');
  for (const name of names)
    if (!CAPABILITIES.has(name)) throw new UsageError(`-cap-add "${name}" is not a Linux capability`);
  return [...new Set(names)];
}

function parsePidsLimit(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 16)
    throw new UsageError(`-pids-limit must be a whole number of at least 16; got "${text}"`);
  return value;
}

function parseId(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 4_294_967_294)
    throw new UsageError(`-${flag} must be a numeric id, 0 or more; got "${text}"`);
  return Number(text);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
