import { availableParallelism } from 'node:os';
import { DEFAULT_QUEUE, DEFAULT_SECRET_KEY_PATTERNS } from '@tork/domain';
import { CONTAINER_FLAGS } from './container-config.js';
import type { FlagSpec } from './flags.js';
import { LOG_FORMATS } from './logging.js';

/**
 * Every flag of `tork`, with its help text and default: the one table `-help`, the parser and the
 * README's flags table follow. Parsed into a TorkConfig by config.ts.
 */

export const MODES = ['standalone', 'coordinator', 'api', 'scheduler', 'worker', 'migration'] as const;
export const BROKERS = ['inmemory', 'rabbitmq'] as const;
export const DATASTORES = ['inmemory', 'postgres'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const RUNTIMES = ['docker', 'shell', 'noop'] as const;

export type Mode = (typeof MODES)[number];
export type BrokerKind = (typeof BROKERS)[number];
export type DatastoreKind = (typeof DATASTORES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type RuntimeKind = (typeof RUNTIMES)[number];

/** A worker with no -queue flag serves `default` with this many tasks at once. */
export const DEFAULT_QUEUE_CONCURRENCY = Math.max(2, availableParallelism());

export const FLAGS: readonly FlagSpec[] = [
  { name: 'mode', value: MODES.join('|'), help: 'what this process runs', default: 'standalone' },
  { name: 'broker', value: BROKERS.join('|'), help: 'the message broker', default: 'inmemory' },
  {
    name: 'rabbitmq-url',
    value: 'URL',
    help: 'RabbitMQ address',
    default: 'amqp://guest:guest@localhost:5672',
    env: 'TORK_RABBITMQ_URL',
    secret: true,
  },
  {
    name: 'rabbitmq-management-url',
    value: 'URL',
    help: "RabbitMQ's management API (http://user:password@host:15672), for GET /queues",
    env: 'TORK_RABBITMQ_MANAGEMENT_URL',
    secret: true,
  },
  {
    name: 'datastore',
    value: DATASTORES.join('|'),
    help: 'where jobs and tasks are kept',
    default: 'inmemory',
  },
  {
    name: 'postgres-dsn',
    value: 'DSN',
    help: 'PostgreSQL, as "host=... user=... dbname=..." or a postgres:// URL',
    default: 'host=localhost user=tork password=tork dbname=tork port=5432 sslmode=disable',
    env: 'TORK_POSTGRES_DSN',
    secret: true,
  },
  { name: 'postgres-pool-size', value: 'N', help: 'connections to PostgreSQL per process', default: '10' },
  {
    name: 'runtime',
    value: RUNTIMES.join('|'),
    help: 'what runs tasks: docker; shell (sh -c on this host, no images: for hosts and pods without Docker); or noop (runs nothing, completes at once: for benchmarks only)',
    default: 'docker',
  },
  {
    name: 'host',
    value: 'ADDRESS',
    help: 'address the REST API listens on; another than loopback needs a credential (-api-key) or -insecure',
    default: '127.0.0.1',
  },
  {
    name: 'port',
    value: 'N',
    help: 'port of the REST API (default 3000); for a scheduler or worker, of its health endpoints (default: the first free of 8001-8100)',
  },
  { name: 'body-limit', value: 'SIZE', help: 'largest job submission accepted, e.g. 1m', default: '1m' },
  {
    name: 'queue',
    value: 'NAME:N',
    help: `a work queue and its concurrency for a worker; without it: ${DEFAULT_QUEUE}:${DEFAULT_QUEUE_CONCURRENCY}`,
    repeatable: true,
  },
  { name: 'default-cpus-limit', value: 'CPUS', help: 'CPU limit of tasks that set none, e.g. 1.5' },
  { name: 'default-memory-limit', value: 'SIZE', help: 'memory limit of tasks that set none, e.g. 512m' },
  { name: 'temp-dir', value: 'DIR', help: 'directory for host-side scratch files of the runtime' },
  ...CONTAINER_FLAGS,
  {
    name: 'docker-host',
    value: 'URL',
    help: 'Docker engine, e.g. unix:///var/run/docker.sock (default $DOCKER_HOST or the local socket)',
  },
  {
    name: 'drain-timeout',
    value: 'DURATION',
    help: 'on SIGTERM, how long running tasks may finish before they are stopped and handed back',
    default: '30s',
  },
  {
    name: 'heartbeat-interval',
    value: 'DURATION',
    help: 'how often a worker tells the scheduler it is alive',
    default: '5s',
  },
  {
    name: 'dead-worker-after',
    value: 'DURATION',
    help: 'how long a silent worker is given before the scheduler runs its tasks again elsewhere',
    default: '15s',
  },
  {
    name: 'scheduled-timeout',
    value: 'DURATION',
    help: 'a task sent to its queue that no worker started within this is sent again',
    default: '5m',
  },
  {
    name: 'retention-logs',
    value: 'DURATION',
    help: 'task log entries older than this are deleted (0: kept forever)',
    default: '168h',
  },
  {
    name: 'retention-jobs',
    value: 'DURATION',
    help: 'finished jobs (COMPLETED, FAILED, CANCELLED) that ended longer ago are deleted with their tasks and logs (0: kept forever)',
    default: '2160h',
  },
  {
    name: 'inmemory-max-jobs',
    value: 'N',
    help: 'with -datastore inmemory: finished jobs kept; the earliest finished are deleted beyond it',
    default: '10000',
  },
  {
    name: 'rate-limit',
    value: 'N',
    help: 'job submissions per second per API key (else per client address); 0 turns the limit off',
    default: '50',
  },
  {
    name: 'request-timeout',
    value: 'DURATION',
    help: 'how long a client may take to send a whole request (then HTTP 408)',
    default: '30s',
  },
  {
    name: 'cors-origin',
    value: 'ORIGIN',
    help: 'a browser origin allowed to call the API, e.g. https://tork.example.com (none: CORS off)',
    repeatable: true,
  },
  {
    name: 'max-streams',
    value: 'N',
    help: 'live log and event streams (SSE) one API process serves at once; more get HTTP 503',
    default: '1000',
  },
  {
    name: 'stream-token-secret',
    value: 'SECRET',
    help: 'signs the 60 s stream tokens of POST /streams/token; give every API replica the same (default: random per process)',
    env: 'TORK_STREAM_TOKEN_SECRET',
    secret: true,
  },
  {
    name: 'ui-dir',
    value: 'DIR',
    help: "the web dashboard's built files, served at /ui (default: apps/web/dist of this installation; not there: no dashboard)",
    env: 'TORK_UI_DIR',
  },
  { name: 'log-level', value: LOG_LEVELS.join('|'), help: 'how much to log', default: 'info' },
  {
    name: 'log-format',
    value: LOG_FORMATS.join('|'),
    help: 'json: one pino JSON object a line; pretty: time, level, message and fields on one line',
    default: 'json',
    env: 'TORK_LOG_FORMAT',
  },
  // Input and secrets.
  {
    name: 'allowed-queues',
    value: 'A,B,...',
    help: 'the only queues tasks may name (a task without one uses default); default: any',
  },
  {
    name: 'secret-key-patterns',
    value: 'A,B,...',
    help: `parts of env names that mark a value secret, any case (replaces the default list ${DEFAULT_SECRET_KEY_PATTERNS.join(',')})`,
  },
  {
    name: 'encryption-key',
    value: 'ID:BASE64',
    help: 'AES-256 key (openssl rand -base64 32) for secrets at rest and in messages; the first encrypts, all decrypt',
    repeatable: true,
    env: 'TORK_ENCRYPTION_KEYS',
    secret: true,
  },
  {
    name: 'webhook-secret',
    value: 'SECRET',
    help: 'signs webhook deliveries (Tork-Signature: sha256=HMAC of "<timestamp>.<body>"); without it deliveries are unsigned',
    env: 'TORK_WEBHOOK_SECRET',
    secret: true,
  },
  {
    name: 'webhook-lease',
    value: 'DURATION',
    help: 'how long a scheduler holds a webhook delivery it sends; one a dead scheduler held is sent again after this (at least 10s)',
    default: '30s',
  },
  {
    name: 'webhook-allow-link-local',
    value: '',
    help: 'let webhooks connect to link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, ...)',
    boolean: true,
  },

  {
    name: 'health-host',
    value: 'ADDRESS',
    help: 'address the health endpoints of a scheduler or worker listen on',
    default: '0.0.0.0',
  },
  {
    name: 'api-key',
    value: 'KEY',
    help: 'an admin API key, at least 16 characters',
    repeatable: true,
    env: 'TORK_API_KEYS',
    secret: true,
  },
  {
    name: 'insecure',
    value: '',
    help: 'serve the REST API on a non-loopback -host with no credential: anyone who reaches it is an admin',
    boolean: true,
  },
  {
    name: 'metrics-public',
    value: '',
    help: 'serve GET /metrics on the API port without a credential (for Prometheus); the health port serves it openly anyway',
    boolean: true,
  },
];
