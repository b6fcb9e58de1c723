import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import {
  errorMessage,
  runHealthChecks,
  scrapeFormatFor,
  type ExposedMetrics,
  type HealthCheck,
  type Logger,
} from '@tork/domain';

/**
 * Liveness and readiness for processes without the REST API (scheduler, worker):
 * `GET /health/live` answers 200 while the process runs; `GET /health/ready` and `GET /health`
 * answer 200 when every check passes (its broker, its datastore, its runtime), else 503, naming
 * what is down but never why (that goes to the log: driver text names hosts and users).
 * `GET /metrics` renders `metrics` for Prometheus: OpenMetrics when accepted, else Prometheus text
 * (there is no JSON summary here: that reads the datastore, which a worker has not).
 */
export async function serveHealth(
  host: string,
  ports: readonly number[],
  version: string,
  checks: Readonly<Record<string, HealthCheck>>,
  logger: Logger,
  metrics?: ExposedMetrics,
): Promise<Server> {
  const server = createServer((request, response) => {
    const reply = (status: number, body: object): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      reply(405, { error: `method ${request.method ?? ''} not allowed` });
    } else if (path === '/health/live') {
      reply(200, { status: 'UP', version });
    } else if (path === '/metrics' && metrics !== undefined) {
      const format = scrapeFormatFor(request.headers.accept) ?? 'prometheus';
      metrics.scrape(format).then(
        (scrape) => response.writeHead(200, { 'content-type': scrape.contentType }).end(scrape.body),
        (error: unknown) => {
          logger.warn({ err: errorMessage(error) }, 'could not render the metrics');
          reply(500, { error: 'could not render the metrics' });
        },
      );
    } else if (path === '/health' || path === '/health/ready') {
      void runHealthChecks(checks).then((report) => {
        if (report.status === 'DOWN') logger.warn({ failures: report.failures }, 'not ready');
        reply(report.status === 'UP' ? 200 : 503, { status: report.status, version, checks: report.checks });
      });
    } else {
      reply(404, { error: `route GET ${path ?? ''} not found` });
    }
  });
  for (const [index, port] of ports.entries()) {
    try {
      server.listen(port, host);
      await once(server, 'listening');
      return server;
    } catch (error) {
      // Several workers on one machine each take the next free port.
      const inUse = error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
      if (!inUse || index === ports.length - 1) throw error;
    }
  }
  throw new Error('no port to listen on');
}

export function listeningPort(server: Server): number | undefined {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error === undefined) resolve();
      else reject(error);
    });
    server.closeAllConnections();
  });
}
