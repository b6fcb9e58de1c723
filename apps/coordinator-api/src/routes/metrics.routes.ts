import { Type, type Static } from '@sinclair/typebox';
import { nodeStatus, scrapeFormatFor, type Datastore, type ExposedMetrics } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';

export const MetricsSummarySchema = Type.Object(
  {
    jobs: Type.Object({ running: Type.Integer() }),
    tasks: Type.Object({ running: Type.Integer({ description: 'Container tasks RUNNING.' }) }),
    nodes: Type.Object({
      online: Type.Integer({ description: 'Workers whose last heartbeat is recent (status UP).' }),
      cpuPercent: Type.Number({ description: 'Always 0: workers do not report their CPU use.' }),
    }),
  },
  { $id: 'MetricsSummary' },
);

type MetricsSummary = Static<typeof MetricsSummarySchema>;

const schema: FastifySchema = {
  summary: 'Metrics: Prometheus text, or a summary in JSON',
  description:
    'With `Accept: text/plain` Prometheus text format 0.0.4; with `Accept: application/openmetrics-text` OpenMetrics; ' +
    "otherwise Tork's JSON summary (what Tork's clients read).",
  tags: ['health'],
  response: {
    200: {
      description: 'The summary, or the exposition in the format asked for.',
      content: {
        'application/json': { schema: Type.Ref('MetricsSummary') },
        'text/plain': { schema: Type.String() },
        'application/openmetrics-text': { schema: Type.String() },
      },
    },
  },
};

/** GET /metrics, negotiated on `Accept` as Prometheus does. */
export function metricsRoutes(
  app: FastifyInstance,
  options: { readonly datastore: Datastore; readonly metrics?: ExposedMetrics },
): Promise<void> {
  app.get('/metrics', { schema }, async (request, reply): Promise<MetricsSummary | string> => {
    const format = scrapeFormatFor(request.headers.accept);
    if (format !== undefined && options.metrics !== undefined) {
      const scrape = await options.metrics.scrape(format);
      void reply.type(scrape.contentType);
      return scrape.body;
    }
    return summary(options.datastore);
  });
  return Promise.resolve();
}

/** Tork's `/metrics` shape, from cheap datastore counts. */
async function summary(datastore: Datastore): Promise<MetricsSummary> {
  const now = Date.now();
  const [jobsRunning, queued, nodes] = await Promise.all([
    datastore.jobs.count(['RUNNING']),
    datastore.tasks.countQueued(),
    datastore.nodes.list(),
  ]);
  const tasksRunning = queued
    .filter((count) => count.state === 'RUNNING')
    .reduce((sum, count) => sum + count.count, 0);
  return {
    jobs: { running: jobsRunning },
    tasks: { running: tasksRunning },
    nodes: { online: nodes.filter((node) => nodeStatus(node, now) === 'UP').length, cpuPercent: 0 },
  };
}
