import {
  DEFAULT_QUEUE,
  DEFAULT_SECRET_KEY_PATTERNS,
  errorMessage,
  isReservedQueue,
  parseCpus,
  parseDuration,
  parseEncryptionKey,
  parseSize,
  QUEUE_NAME_PATTERN,
  SecretPolicy,
  WEBHOOK_RETRY,
  type EncryptionKey,
  type WorkerPolicy,
} from '@tork/domain';
import { parseContainerFlags, type ContainerConfig, type ShellConfig } from './container-config.js';
import { resolveFlags, UsageError, type ParsedFlags, type ReadFile } from './flags.js';
import { LOG_FORMATS, type LogFormat } from './logging.js';
import { maskCredentials } from './mask-credentials.js';
import { parseTracingEnv, type TracingConfig } from './tracing-config.js';
import {
  BROKERS,
  DATASTORES,
  DEFAULT_QUEUE_CONCURRENCY,
  FLAGS,
  LOG_LEVELS,
  MODES,
  RUNTIMES,
  type BrokerKind,
  type DatastoreKind,
  type LogLevel,
  type Mode,
  type RuntimeKind,
} from './config-flags.js';

export * from './config-flags.js';

/** The fault tests' hook (see testKillOnTaskArrival); never set it anywhere else. */
const TEST_KILL_ON_TASK = 'TORK_TEST_ONLY_KILL_ON_TASK';

/** Every setting of a tork process, parsed once at start-up. */
export interface TorkConfig {
  readonly mode: Mode;
  readonly broker: BrokerKind;
  readonly datastore: DatastoreKind;
  readonly runtime: RuntimeKind;
  readonly rabbitmqUrl: string;
  /** RabbitMQ's management API, from which `GET /queues` lists every queue with its unacked count. */
  readonly rabbitmqManagementUrl?: string;
  readonly postgresDsn: string;
  readonly host: string;
  readonly port: number;
  /** Ports to try for the health endpoints of processes without the API (the first free one is used). */
  readonly healthPorts: readonly number[];
  readonly bodyLimit: number;
  /** Queue name → concurrency, for workers. */
  readonly queues: Readonly<Record<string, number>>;
  readonly defaultCpusLimit?: number;
  readonly defaultMemoryLimit?: number;
  readonly tempDir?: string;
  readonly dockerHost?: string;
  readonly postgresPoolSize: number;
  /** On SIGTERM, how long a worker lets running tasks finish before it stops them and hands them back. */
  readonly drainTimeoutMs: number;
  /** How often a worker sends a heartbeat. */
  readonly heartbeatIntervalMs: number;
  /** How long a silent worker is given before the scheduler runs its tasks again elsewhere. */
  readonly deadWorkerAfterMs: number;
  /** A SCHEDULED task no worker has started this long after it was sent is sent again. */
  readonly scheduledTimeoutMs: number;
  /** Task log entries older than this are deleted; 0: kept. */
  readonly retentionLogsMs: number;
  /** Finished jobs that ended longer ago than this are deleted; 0: kept. */
  readonly retentionJobsMs: number;
  /** The in-memory datastore keeps at most this many finished jobs. */
  readonly inMemoryMaxJobs: number;
  /** Job submissions per second per credential (else per client address); 0: no limit. */
  readonly rateLimit: number;
  /** How long a client may take to send a whole request (HTTP 408 after). */
  readonly requestTimeoutMs: number;
  /** Origins a browser may call the API from; none: no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Live streams (SSE) one API process holds open at once. */
  readonly maxStreams: number;
  /** Signs stream tokens (?access_token=); every API replica needs the same. None: a random one per process. */
  readonly streamTokenSecret?: string;
  /** The web dashboard's built files given by -ui-dir; none: the installation's own (see bundledUiDir). */
  readonly uiDir?: string;
  /** Signs webhook deliveries; none: they go unsigned (with a warning at start). */
  readonly webhookSecret?: string;
  /** Webhooks may connect to link-local and cloud metadata addresses. */
  readonly webhookAllowLinkLocal: boolean;
  /** How long a scheduler holds a webhook delivery it sends. */
  readonly webhookLeaseMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** When set, the only queues submitted tasks may use. */
  readonly allowedQueues?: readonly string[];
  /** Which env values are secret (masked everywhere; encrypted with a key). */
  readonly secretPolicy: SecretPolicy;
  /** AES-256-GCM keys: the first encrypts, all decrypt. None: secrets are stored as given. */
  readonly encryptionKeys: readonly EncryptionKey[];
  /** A worker's ceilings and bind prefixes; the API refuses with 400 what is outside them. */
  readonly workerPolicy: WorkerPolicy;
  /** How task containers are set up and hardened. */
  readonly container: ContainerConfig;
  /** The user the shell runtime runs tasks as. */
  readonly shell: ShellConfig;
  /** Spans exported over OTLP/HTTP (the standard OTEL_* variables); none: tracing is off. */
  readonly tracing?: TracingConfig;

  /** Where the health endpoints of a process without the REST API listen. */
  readonly healthHost: string;
  /** Admin API keys: -api-key, TORK_API_KEYS (comma separated) and the file TORK_API_KEYS_FILE. */
  readonly apiKeys: readonly string[];
  /** Serve the REST API on a non-loopback address although no credential exists. */
  readonly insecure: boolean;
  /** `GET /metrics` on the API port without a credential. */
  readonly metricsPublic: boolean;
  /** What the operator should hear about the configuration itself (a secret on the command line, ...). */
  readonly warnings: readonly string[];
  /** Test only (TORK_TEST_ONLY_KILL_ON_TASK=1): a worker SIGKILLs itself when a task arrives, before reporting its start. */
  readonly testKillOnTaskArrival: boolean;
}

/** Shorter admin keys are refused: they could be guessed. */
export const MIN_API_KEY_LENGTH = 16;

/**
 * Parses argv (without node and script), the environment and the files `*_FILE` variables name
 * into a config, or throws UsageError. `processUid`: who this process runs as (a warning when the
 * shell runtime would run tasks as root).
 */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  readFile?: ReadFile,
  processUid: number | undefined = process.getuid?.(),
): TorkConfig {
  const resolved = resolveFlags(argv, FLAGS, env, readFile);
  const flags = resolved.values;
  const get = (name: string): string | undefined =>
    flags.get(name)?.at(-1) ?? FLAGS.find((f) => f.name === name)?.default;
  const mode = oneOf(get('mode'), MODES, 'mode');
  const broker = oneOf(get('broker'), BROKERS, 'broker');
  const datastore = oneOf(get('datastore'), DATASTORES, 'datastore');
  const cpus = get('default-cpus-limit');
  const memory = get('default-memory-limit');
  const defaultCpusLimit = cpus === undefined ? undefined : parseCpus(cpus);
  if (cpus !== undefined && defaultCpusLimit === undefined)
    throw new UsageError(`-default-cpus-limit "${cpus}" is not a positive number of CPUs`);
  const defaultMemoryLimit = memory === undefined ? undefined : parseSize(memory);
  if (memory !== undefined && defaultMemoryLimit === undefined) {
    throw new UsageError(
      `-default-memory-limit "${memory}" is not a size (a positive integer with b, k, m or g)`,
    );
  }
  const bodyLimit = parseSize(get('body-limit') ?? '1m');
  if (bodyLimit === undefined) throw new UsageError(`-body-limit "${get('body-limit') ?? ''}" is not a size`);
  const tempDir = get('temp-dir');
  const testKillOnTaskArrival = env[TEST_KILL_ON_TASK] === '1';
  const warnings = [...resolved.warnings];
  if (testKillOnTaskArrival)
    warnings.push(`${TEST_KILL_ON_TASK}=1: a fault-test hook; this worker kills itself when a task arrives`);
  const dockerHost = get('docker-host') ?? env['DOCKER_HOST'];
  const apiKeys = apiKeysOf(flags);
  const runtime = oneOf(get('runtime'), RUNTIMES, 'runtime');
  const containers = parseContainerFlags(flags, runtime === 'shell', processUid);
  warnings.push(...containers.warnings);
  const tracing = parseTracingEnv(env, mode);
  warnings.push(...tracing.warnings);
  return {
    mode,
    broker,
    datastore,
    runtime,
    rabbitmqUrl: get('rabbitmq-url') ?? '',
    ...optionalString('rabbitmqManagementUrl', get('rabbitmq-management-url')),
    postgresDsn: get('postgres-dsn') ?? '',
    host: get('host') ?? '127.0.0.1',
    port: parsePort(get('port') ?? '3000'),
    healthPorts: flags.has('port') ? [parsePort(get('port') ?? '')] : range(8001, 8100),
    bodyLimit,
    queues: parseQueues(flags),
    ...(defaultCpusLimit === undefined ? {} : { defaultCpusLimit }),
    ...(defaultMemoryLimit === undefined ? {} : { defaultMemoryLimit }),
    ...(tempDir === undefined ? {} : { tempDir }),
    ...(dockerHost === undefined || dockerHost === '' ? {} : { dockerHost }),
    postgresPoolSize: parsePositiveInt(get('postgres-pool-size') ?? '10', 'postgres-pool-size'),
    drainTimeoutMs: parseDurationFlag(get('drain-timeout') ?? '30s', 'drain-timeout'),
    heartbeatIntervalMs: parseDurationFlag(get('heartbeat-interval') ?? '5s', 'heartbeat-interval'),
    deadWorkerAfterMs: parseDurationFlag(get('dead-worker-after') ?? '15s', 'dead-worker-after'),
    scheduledTimeoutMs: parseDurationFlag(get('scheduled-timeout') ?? '5m', 'scheduled-timeout'),
    retentionLogsMs: parseRetentionFlag(get('retention-logs') ?? '168h', 'retention-logs'),
    retentionJobsMs: parseRetentionFlag(get('retention-jobs') ?? '2160h', 'retention-jobs'),
    inMemoryMaxJobs: parsePositiveInt(get('inmemory-max-jobs') ?? '10000', 'inmemory-max-jobs'),
    rateLimit: parseCount(get('rate-limit') ?? '50', 'rate-limit'),
    requestTimeoutMs: parseDurationFlag(get('request-timeout') ?? '30s', 'request-timeout'),
    corsOrigins: parseOrigins(flags.get('cors-origin') ?? []),
    maxStreams: parsePositiveInt(get('max-streams') ?? '1000', 'max-streams'),
    ...(get('stream-token-secret') === undefined ? {} : { streamTokenSecret: get('stream-token-secret') }),
    ...optionalString('uiDir', get('ui-dir')),
    ...optionalString('webhookSecret', get('webhook-secret')),
    webhookAllowLinkLocal: get('webhook-allow-link-local') === 'true',
    webhookLeaseMs: parseWebhookLease(get('webhook-lease') ?? '30s'),
    logLevel: oneOf(get('log-level'), LOG_LEVELS, 'log-level'),
    logFormat: oneOf(get('log-format'), LOG_FORMATS, 'log-format'),
    ...parseInputAndSecrets(flags),
    workerPolicy: containers.workerPolicy,
    container: containers.container,
    shell: containers.shell,
    ...(tracing.tracing === undefined ? {} : { tracing: tracing.tracing }),
    healthHost: get('health-host') ?? '0.0.0.0',
    apiKeys,
    insecure: get('insecure') === 'true',
    metricsPublic: get('metrics-public') === 'true',
    warnings,
    testKillOnTaskArrival,
  };
}

function parseInputAndSecrets(
  flags: ParsedFlags,
): Pick<TorkConfig, 'allowedQueues' | 'secretPolicy' | 'encryptionKeys'> {
  const allowed = flags.get('allowed-queues')?.[0];
  const allowedQueues = allowed === undefined ? undefined : splitList(allowed);
  for (const name of allowedQueues ?? []) {
    if (!QUEUE_NAME_PATTERN.test(name) || isReservedQueue(name))
      throw new UsageError(`-allowed-queues "${name}" is not a usable queue name`);
  }
  if (allowedQueues?.length === 0) throw new UsageError('-allowed-queues needs at least one queue');
  const patterns = flags.get('secret-key-patterns')?.[0];
  const keyPatterns = patterns === undefined ? DEFAULT_SECRET_KEY_PATTERNS : splitList(patterns);
  if (keyPatterns.length === 0 || keyPatterns.some((pattern) => !/^[A-Za-z0-9_.-]+$/.test(pattern)))
    throw new UsageError(
      `-secret-key-patterns must be a comma separated list of letters, digits, "_", "." and "-"; got "${patterns ?? ''}"`,
    );
  return {
    ...(allowedQueues === undefined ? {} : { allowedQueues }),
    secretPolicy: new SecretPolicy(keyPatterns),
    encryptionKeys: parseEncryptionKeys(flags),
  };
}

/** -encryption-key flags, else TORK_ENCRYPTION_KEYS, else the file TORK_ENCRYPTION_KEYS_FILE (commas or lines). */
function parseEncryptionKeys(flags: ParsedFlags): EncryptionKey[] {
  const keys = (flags.get('encryption-key') ?? []).flatMap(splitList).map((entry) => {
    try {
      return parseEncryptionKey(entry);
    } catch (error) {
      throw new UsageError(`-encryption-key: ${errorMessage(error)}`);
    }
  });
  const ids = keys.map((key) => key.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined)
    throw new UsageError(`-encryption-key: key id "${repeated}" is given more than once`);
  return keys;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The admin keys: -api-key, else TORK_API_KEYS, else the file TORK_API_KEYS_FILE (commas or lines). */
function apiKeysOf(flags: ParsedFlags): string[] {
  const keys = (flags.get('api-key') ?? []).flatMap(splitList);
  for (const key of keys) {
    if (key.length < MIN_API_KEY_LENGTH)
      throw new UsageError(
        `an API key must be at least ${MIN_API_KEY_LENGTH} characters; one has ${key.length}`,
      );
    if (/\s/.test(key)) throw new UsageError('an API key may not contain a space');
  }
  return [...new Set(keys)];
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined)
    throw new UsageError(`-${flag} must be one of ${allowed.join(', ')}; got "${value ?? ''}"`);
  return found;
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

function parsePositiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1)
    throw new UsageError(`-${flag} must be a positive integer; got "${text}"`);
  return value;
}

function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`-${flag} must be a whole number, 0 or more; got "${text}"`);
  return Number(text);
}

function parseOrigins(given: readonly string[]): string[] {
  return given.map((origin) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    // An origin is scheme, host and port only: a path or a trailing slash would never match a browser's.
    if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== origin)
      throw new UsageError(
        `-cors-origin must be an origin such as https://tork.example.com; got "${origin}"`,
      );
    return origin;
  });
}

/** A retention period; a bare `0` (as Go's durations allow) keeps everything. */
function parseRetentionFlag(text: string, flag: string): number {
  return text.trim() === '0' ? 0 : parseDurationFlag(text, flag);
}

function parseDurationFlag(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`-${flag} must be a duration such as 30s or 5m; got "${text}"`);
  return ms;
}

/** A claim must outlive the request it covers, or a second scheduler could send the delivery meanwhile. */
function parseWebhookLease(text: string): number {
  const ms = parseDurationFlag(text, 'webhook-lease');
  const least = 2 * WEBHOOK_RETRY.requestTimeoutMs;
  if (ms < least)
    throw new UsageError(
      `-webhook-lease must be at least ${least / 1000}s, twice a webhook request's timeout; got "${text}"`,
    );
  return ms;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65_535)
    throw new UsageError(`-port must be a port number; got "${text}"`);
  return port;
}

function parseQueues(flags: ParsedFlags): Record<string, number> {
  const given = flags.get('queue') ?? [];
  if (given.length === 0) return { [DEFAULT_QUEUE]: DEFAULT_QUEUE_CONCURRENCY };
  const queues: Record<string, number> = {};
  for (const entry of given) {
    const match = /^([^:]+):(\d+)$/.exec(entry);
    const name = match?.[1] ?? '';
    const concurrency = Number(match?.[2]);
    if (match === null || concurrency < 1)
      throw new UsageError(`-queue must be NAME:N with N >= 1; got "${entry}"`);
    if (!QUEUE_NAME_PATTERN.test(name) || isReservedQueue(name))
      throw new UsageError(`-queue "${name}" is not a usable queue name`);
    if (name in queues) throw new UsageError(`-queue "${name}" given more than once`);
    queues[name] = concurrency;
  }
  return queues;
}

/** The config with secrets masked, for logging. */
export function redactConfig(config: TorkConfig): Record<string, unknown> {
  return {
    ...config,
    secretPolicy: config.secretPolicy.keyPatterns,
    encryptionKeys: config.encryptionKeys.map((key) => `${key.id}:[REDACTED]`),
    apiKeys: config.apiKeys.map(() => '[REDACTED]'),
    ...(config.streamTokenSecret === undefined ? {} : { streamTokenSecret: '[REDACTED]' }),
    ...(config.webhookSecret === undefined ? {} : { webhookSecret: '[REDACTED]' }),
    rabbitmqUrl: maskCredentials(config.rabbitmqUrl),
    ...(config.rabbitmqManagementUrl === undefined
      ? {}
      : { rabbitmqManagementUrl: maskCredentials(config.rabbitmqManagementUrl) }),
    postgresDsn: maskCredentials(config.postgresDsn),
    ...(config.tracing === undefined
      ? {}
      : { tracing: { ...config.tracing, endpoint: maskCredentials(config.tracing.endpoint) } }),
  };
}

/** `{ [key]: value }` for a non-empty value, else nothing: an optional field left out rather than empty. */
function optionalString<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}
