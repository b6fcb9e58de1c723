import type { Broker, Datastore, JobSpecPolicy, Keyring, SecretPolicy } from '@tork/domain';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerErrorHandlers } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { healthRoutes } from './routes/health.routes.js';
import { jobsRoutes } from './routes/jobs.routes.js';
import { NodeSchema, nodesRoutes } from './routes/nodes.routes.js';
import { tasksRoutes } from './routes/tasks.routes.js';
import { SHARED_SCHEMAS } from './schemas.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

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
}

/** Builds the REST API on the given adapters without listening; tests drive it with `inject`. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const version = deps.version ?? '0.0.0-dev';
  const app = Fastify({
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    // One line per request would dominate the log at any real load; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // List every querystring problem, not only the first.
    ajv: { customOptions: { allErrors: true } },
  });
  registerErrorHandlers(app);
  for (const schema of [...SHARED_SCHEMAS, NodeSchema]) app.addSchema(schema);
  await registerOpenApi(app, version);
  const secrets = {
    ...(deps.secretPolicy === undefined ? {} : { secretPolicy: deps.secretPolicy }),
    ...(deps.keyring === undefined ? {} : { keyring: deps.keyring }),
  };
  await app.register(jobsRoutes, {
    datastore: deps.datastore,
    broker: deps.broker,
    ...(deps.jobSpecPolicy === undefined ? {} : { policy: deps.jobSpecPolicy }),
    ...secrets,
  });
  await app.register(tasksRoutes, {
    datastore: deps.datastore,
    broker: deps.broker,
    ...(deps.secretPolicy === undefined ? {} : { secretPolicy: deps.secretPolicy }),
  });
  await app.register(nodesRoutes, { datastore: deps.datastore });
  await app.register(healthRoutes, {
    datastore: deps.datastore,
    broker: deps.broker,
    version,
    ...(deps.readiness === undefined ? {} : { readiness: deps.readiness }),
  });
  return app;
}
