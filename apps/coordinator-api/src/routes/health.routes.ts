import {
  HEALTH_CHECK_TIMEOUT_MS,
  runHealthChecks,
  type Broker,
  type Datastore,
  type HealthCheck,
} from '@tork/domain';
import type { FastifyInstance } from 'fastify';
import type { Health } from '../schemas/health.schemas.js';
import { refs } from '../schemas/shared-schemas.js';

export interface HealthRoutesOptions {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly version: string;
  /** Extra readiness, e.g. failing while the process drains on shutdown. */
  readonly readiness?: () => Promise<void>;
  /** A check that has not answered by then counts as down. */
  readonly timeoutMs?: number;
}

/**
 * GET /health: UP when the datastore, the broker and the readiness check all answer. The answer
 * says only what is up or down; why a dependency is down (driver text naming hosts and users) goes
 * to the log.
 */
export function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  const checks: Record<string, HealthCheck> = {
    datastore: () => options.datastore.healthCheck(),
    broker: () => options.broker.healthCheck(),
  };
  if (options.readiness !== undefined) checks['readiness'] = options.readiness;

  // /health and /health/ready are readiness: may this process take traffic?
  for (const url of ['/health', '/health/ready']) {
    app.get(
      url,
      {
        schema: {
          summary: 'Readiness: the API and its dependencies are up',
          tags: ['health'],
          security: [],
          response: { 200: refs.health('Everything is up.'), 503: refs.health('A dependency is down.') },
        },
      },
      async (request, reply): Promise<Health> => {
        const report = await runHealthChecks(checks, timeoutMs);
        if (report.status === 'UP') return { status: 'UP', version: options.version, checks: report.checks };
        request.log.warn({ failures: report.failures }, 'not ready');
        void reply.status(503);
        return { status: 'DOWN', version: options.version, checks: report.checks };
      },
    );
  }

  // Liveness asks nothing of the dependencies: a broker outage must not get the process restarted.
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process runs',
        tags: ['health'],
        security: [],
        response: { 200: refs.health('The process runs.') },
      },
    },
    (): Promise<Health> => Promise.resolve({ status: 'UP', version: options.version }),
  );
  return Promise.resolve();
}
