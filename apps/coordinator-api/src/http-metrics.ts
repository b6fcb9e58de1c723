import type { Metrics } from '@tork/domain';
import type { FastifyInstance } from 'fastify';

/** Requests that matched no route share one label, so that scanning URLs cannot grow the series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Counts every answered request by its route template (`/jobs/:id`), method and status, with its duration. */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.observeHttp(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
