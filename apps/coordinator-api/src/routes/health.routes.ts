import { errorMessage, type Broker, type Datastore } from '@tork/domain';
import type { FastifyInstance } from 'fastify';
import { refs, type Health } from '../schemas.js';

export interface HealthRoutesOptions {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly version: string;
  /** Extra readiness, e.g. failing while the process drains on shutdown. */
  readonly readiness?: () => Promise<void>;
  /** A check that has not answered by then counts as down. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** GET /health: UP when the datastore, the broker and the readiness check all answer. */
export function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const checks: [string, () => Promise<void>][] = [
    ['datastore', () => options.datastore.healthCheck()],
    ['broker', () => options.broker.healthCheck()],
  ];
  const { readiness } = options;
  if (readiness !== undefined) checks.push(['readiness', readiness]);

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
      async (_request, reply): Promise<Health> => {
        const failures = await Promise.all(checks.map(([name, check]) => failure(name, check, timeoutMs)));
        const errors = failures.filter((message) => message !== undefined);
        if (errors.length === 0) return { status: 'UP', version: options.version };
        void reply.status(503);
        return { status: 'DOWN', version: options.version, error: errors.join('; ') };
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

/** The check's failure as `name: reason`, or undefined when it passed in time. */
async function failure(
  name: string,
  check: () => Promise<void>,
  timeoutMs: number,
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return undefined;
  } catch (error) {
    return `${name}: ${errorMessage(error)}`;
  } finally {
    clearTimeout(timer);
  }
}
