import fastifyCors from '@fastify/cors';
import type { Broker, Datastore, ExposedMetrics, JobSpecPolicy, Keyring, SecretPolicy } from '@tork/domain';
import { DEFAULT_SECRET_POLICY } from '@tork/domain';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authPlugin, type AnonymousAccess } from './auth/auth.plugin.js';
import { Authenticator } from './auth/authenticator.js';
import { CredentialPresence } from './auth/credential-presence.js';
import { registerErrorHandlers } from './errors.js';
import { registerHttpMetrics } from './http-metrics.js';
import { registerHttpTracing } from './http-tracing.js';
import { registerOpenApi } from './openapi.js';
import { registerRateLimit } from './rate-limit.js';
import { apiKeysRoutes } from './routes/api-keys.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { jobsRoutes } from './routes/jobs.routes.js';
import { MetricsSummarySchema, metricsRoutes } from './routes/metrics.routes.js';
import { nodesRoutes } from './routes/nodes.routes.js';
import { QueueInfoSchema, queuesRoutes } from './routes/queues.routes.js';
import { scheduledJobsRoutes } from './routes/scheduled-jobs.routes.js';
import { tasksRoutes } from './routes/tasks.routes.js';
import { streamsRoutes } from './routes/streams.routes.js';
import { usersRoutes } from './routes/users.routes.js';
import { UI_PREFIX, uiRoutes } from './ui/ui.routes.js';
import { NodeSchema } from './schemas/nodes.schemas.js';
import { SHARED_SCHEMAS } from './schemas/shared-schemas.js';
import {
  ScheduledJobPageSchema,
  ScheduledJobSchema,
  ScheduledJobSpecSchema,
} from './schemas/scheduled-jobs.schemas.js';
import { CredentialService } from './services/credential.service.js';
import { JobService } from './services/job.service.js';
import { QueueService } from './services/queue.service.js';
import { ScheduleService } from './services/schedule.service.js';
import { TaskService } from './services/task.service.js';
import { StreamService, type StreamServiceDeps } from './streams/stream.service.js';
import { StreamTokens } from './streams/stream-tokens.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_RATE_LIMIT = 50;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ApiDeps {
  readonly datastore: Datastore;
  readonly broker: Broker;
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** A pino logger for the API's own messages (errors); none by default. */
  readonly logger?: FastifyBaseLogger;
  /** Shown by /health and in the OpenAPI document. */
  readonly version?: string;
  /** Extra readiness for /health, e.g. rejecting while the process drains. */
  readonly readiness?: () => Promise<void>;
  /** What submitted jobs may use beyond the schema's rules, e.g. an allowlist of queues. */
  readonly jobSpecPolicy?: JobSpecPolicy;
  /** Which env values are secret: redacted in every view, and encrypted when there is a keyring. */
  readonly secretPolicy?: SecretPolicy;
  /** Encrypts secret values of submitted jobs before they are stored or sent (AES-256-GCM). */
  readonly keyring?: Keyring;
  /** Job submissions per second per credential, else per client address (default 50); 0: no limit. */
  readonly rateLimit?: number;
  /** How long a client may take to send a whole request (default 30 s), then 408. Answers are not cut. */
  readonly requestTimeoutMs?: number;
  /** Browser origins allowed to call the API; none (the default): no CORS headers, browsers keep to same-origin. */
  readonly corsOrigins?: readonly string[];
  /** Who may call the API; by default anyone addressing localhost while no key or user is stored. */
  readonly auth?: AuthSettings;
  /** HTTP requests are counted in it, and `GET /metrics` renders it for Prometheus; without it, only Tork's JSON. */
  readonly metrics?: ExposedMetrics;
  /** Live streams (SSE): how many one process serves at once, and the secret stream tokens are signed with (shared by every replica); `timing.pollMs` also paces a submission's `wait`. */
  readonly streams?: {
    readonly maxStreams?: number;
    readonly tokenSecret?: string;
    readonly timing?: StreamServiceDeps['timing'];
  };
  /** The web dashboard's built files, served under /ui (and `/` redirects there); none: no dashboard. */
  readonly uiDir?: string;
}

export interface AuthSettings {
  /** Admin keys from the configuration. */
  readonly staticKeys?: readonly string[];
  /** Who is the anonymous admin while no credential exists (default `loopback`: see AnonymousAccess). */
  readonly anonymous?: AnonymousAccess;
  /** `GET /metrics` without a credential (for a Prometheus that scrapes the API port); default: like any read. */
  readonly metricsPublic?: boolean;
  /** How long a verified credential is trusted (default 30 s), and whether credentials exist (5 s). */
  readonly cacheTtlMs?: number;
  readonly presenceRefreshMs?: number;
}

/** Builds the REST API on the given adapters without listening; tests drive it with `inject`. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const version = deps.version ?? '0.0.0-dev';
  const requestTimeout = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Receiving a request is bounded (a slow body gets 408); no socket idle timeout, so long answers live on.
    requestTimeout,
    // Node checks the timeout this often (default 30 s, which would stretch a short timeout by as much).
    http: { connectionsCheckingInterval: Math.min(1000, requestTimeout), headersTimeout: requestTimeout },
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    // One line per request would dominate the log at any real load; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // List every querystring problem, not only the first; refuse unknown fields rather than drop them.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
  });
  registerErrorHandlers(app);
  registerHttpTracing(app);
  if (deps.metrics !== undefined) registerHttpMetrics(app, deps.metrics);
  const { credentials, auth } = buildAuth(deps);
  const streamTokens = new StreamTokens(deps.streams?.tokenSecret);
  await app.register(authPlugin, { ...auth, streamTokens });
  for (const schema of [
    ...SHARED_SCHEMAS,
    NodeSchema,
    QueueInfoSchema,
    MetricsSummarySchema,
    ScheduledJobSpecSchema,
    ScheduledJobSchema,
    ScheduledJobPageSchema,
  ])
    app.addSchema(schema);
  const corsOrigins = deps.corsOrigins ?? [];
  if (corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: [...corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    });
  }
  await registerRateLimit(app, deps.rateLimit ?? DEFAULT_RATE_LIMIT);
  await registerOpenApi(app, version);
  const services = { datastore: deps.datastore, broker: deps.broker, logger: app.log };
  const secretPolicy = deps.secretPolicy ?? DEFAULT_SECRET_POLICY;
  const jobs = new JobService({
    ...services,
    secretPolicy,
    ...(deps.jobSpecPolicy === undefined ? {} : { policy: deps.jobSpecPolicy }),
    ...(deps.keyring === undefined ? {} : { keyring: deps.keyring }),
    ...(deps.streams?.timing?.pollMs === undefined ? {} : { waitPollMs: deps.streams.timing.pollMs }),
  });
  const schedules = new ScheduleService({
    datastore: deps.datastore,
    logger: app.log,
    secretPolicy,
    ...(deps.jobSpecPolicy === undefined ? {} : { policy: deps.jobSpecPolicy }),
    ...(deps.keyring === undefined ? {} : { keyring: deps.keyring }),
  });
  const tasks = new TaskService(services);
  const streams = new StreamService({
    datastore: deps.datastore,
    broker: deps.broker,
    tasks,
    tokens: streamTokens,
    secretPolicy,
    logger: app.log,
    ...(deps.streams?.maxStreams === undefined ? {} : { maxStreams: deps.streams.maxStreams }),
    ...(deps.streams?.timing === undefined ? {} : { timing: deps.streams.timing }),
  });
  await app.register(jobsRoutes, { jobs, secretPolicy, streams });
  await app.register(scheduledJobsRoutes, { schedules, secretPolicy });
  await app.register(tasksRoutes, { tasks, secretPolicy, streams });
  await app.register(streamsRoutes, { streams });
  await app.register(apiKeysRoutes, { credentials });
  await app.register(usersRoutes, { credentials });
  await app.register(nodesRoutes, { datastore: deps.datastore });
  await app.register(queuesRoutes, { queues: new QueueService(services) });
  await app.register(metricsRoutes, {
    datastore: deps.datastore,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
  });
  if (deps.uiDir !== undefined) {
    await app.register(uiRoutes, { dir: deps.uiDir });
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect(UI_PREFIX, 302));
  }
  await app.register(healthRoutes, {
    datastore: deps.datastore,
    broker: deps.broker,
    version,
    ...(deps.readiness === undefined ? {} : { readiness: deps.readiness }),
  });
  return app;
}

/** The authentication plugin's parts, and the service that creates and revokes credentials through them. */
function buildAuth(deps: ApiDeps) {
  const store = deps.datastore.credentials;
  const staticKeys = deps.auth?.staticKeys ?? [];
  const authenticator = new Authenticator({
    store,
    staticKeys,
    ...(deps.auth?.cacheTtlMs === undefined ? {} : { cacheTtlMs: deps.auth.cacheTtlMs }),
  });
  const presence = new CredentialPresence({
    store,
    staticKeys: staticKeys.length > 0,
    ...(deps.auth?.presenceRefreshMs === undefined ? {} : { refreshMs: deps.auth.presenceRefreshMs }),
  });
  return {
    credentials: new CredentialService({ store, authenticator, presence }),
    auth: {
      authenticator,
      presence,
      anonymous: deps.auth?.anonymous ?? 'loopback',
      openRoutes: [
        ...(deps.auth?.metricsPublic === true ? ['/metrics'] : []),
        // Only a redirect to the dashboard, whose data calls need a credential as any others.
        ...(deps.uiDir === undefined ? [] : ['/']),
      ],
    },
  };
}
