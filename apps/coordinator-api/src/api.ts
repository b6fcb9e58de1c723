import fastifyCors from '@fastify/cors';
import type { Broker, Datastore } from '@tork/domain';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerErrorHandlers } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { registerRateLimit } from './rate-limit.js';
import { healthRoutes } from './routes/health.routes.js';
import { jobsRoutes } from './routes/jobs.routes.js';
import { NodeSchema, nodesRoutes } from './routes/nodes.routes.js';
import { tasksRoutes } from './routes/tasks.routes.js';
import { SHARED_SCHEMAS } from './schemas.js';

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
  /** Job submissions per second per credential, else per client address (default 50); 0: no limit. */
  readonly rateLimit?: number;
  /** How long a client may take to send a whole request (default 30 s), then 408. Answers are not cut. */
  readonly requestTimeoutMs?: number;
  /** Browser origins allowed to call the API; none (the default): no CORS headers, browsers keep to same-origin. */
  readonly corsOrigins?: readonly string[];
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
    // List every querystring problem, not only the first.
    ajv: { customOptions: { allErrors: true } },
  });
  registerErrorHandlers(app);
  for (const schema of [...SHARED_SCHEMAS, NodeSchema]) app.addSchema(schema);
  const corsOrigins = deps.corsOrigins ?? [];
  if (corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: [...corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    });
  }
  await registerRateLimit(app, deps.rateLimit ?? DEFAULT_RATE_LIMIT);
  await registerOpenApi(app, version);
  await app.register(jobsRoutes, { datastore: deps.datastore, broker: deps.broker });
  await app.register(tasksRoutes, { datastore: deps.datastore, broker: deps.broker });
  await app.register(nodesRoutes, { datastore: deps.datastore });
  await app.register(healthRoutes, {
    datastore: deps.datastore,
    broker: deps.broker,
    version,
    ...(deps.readiness === undefined ? {} : { readiness: deps.readiness }),
  });
  return app;
}
