import { describe, expect, it } from 'vitest';
import { jobFixture, helloSpec, taskFixture, timestamp } from '@tork/testing';
import { noopMetrics, type ExposedMetrics, type ScrapeFormat } from '@tork/domain';
import { startTestApi } from '../api.fixture.js';

/** Metrics that render what they were told, as a Prometheus adapter would. */
function recordingMetrics(): ExposedMetrics & { readonly requests: string[] } {
  const requests: string[] = [];
  return {
    ...noopMetrics,
    requests,
    observeHttp: (route, method, status) => {
      requests.push(`${method} ${route} ${status}`);
    },
    scrape: (format: ScrapeFormat) =>
      Promise.resolve({
        contentType:
          format === 'openmetrics'
            ? 'application/openmetrics-text; version=1.0.0'
            : 'text/plain; version=0.0.4',
        body: `# HELP tork_http_requests_total HTTP requests.\n# TYPE tork_http_requests_total counter\ntork_http_requests_total ${requests.length}\n`,
      }),
  };
}

describe('GET /metrics', () => {
  it("answers Tork's JSON shape to a client that accepts anything, counted from the datastore", async () => {
    const { app, datastore } = await startTestApi({ metrics: recordingMetrics() });
    const running = { ...jobFixture(helloSpec(), timestamp()), state: 'RUNNING' as const };
    await datastore.jobs.create(running);
    await datastore.jobs.create({ ...jobFixture(helloSpec(), timestamp()), state: 'COMPLETED' });
    await datastore.tasks.create([{ ...taskFixture(running), state: 'RUNNING' }]);
    const now = Date.now();
    await datastore.nodes.upsert({
      id: 'w1',
      hostname: 'a',
      queues: { default: 1 },
      runningTasks: 1,
      startedAt: new Date(now - 60_000).toISOString(),
      lastHeartbeatAt: new Date(now).toISOString(),
    });

    for (const accept of ['*/*', 'application/json', undefined]) {
      const response = await app.inject({
        method: 'GET',
        url: '/metrics',
        ...(accept === undefined ? {} : { headers: { accept } }),
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(response.body)).toEqual({
        jobs: { running: 1 },
        tasks: { running: 1 },
        nodes: { online: 1, cpuPercent: 0 },
      });
    }
    await app.close();
  });

  it('answers Prometheus text to text/plain and OpenMetrics when it is accepted, as Prometheus asks', async () => {
    const { app } = await startTestApi({ metrics: recordingMetrics() });
    const prometheusAccept =
      'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1';

    const text = await app.inject({ method: 'GET', url: '/metrics', headers: { accept: 'text/plain' } });
    expect(text.statusCode).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(text.body).toContain('# TYPE tork_http_requests_total counter\n');

    const open = await app.inject({ method: 'GET', url: '/metrics', headers: { accept: prometheusAccept } });
    expect(open.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0');
    expect(open.body).toContain('# HELP tork_http_requests_total');
    await app.close();
  });

  it('counts requests by route template and status, not by raw URL', async () => {
    const metrics = recordingMetrics();
    const { app } = await startTestApi({ metrics });
    await app.inject({ method: 'GET', url: '/jobs/one' });
    await app.inject({ method: 'GET', url: '/jobs/two' });
    await app.inject({ method: 'GET', url: '/no/such/path' });
    expect(metrics.requests).toEqual(['GET /jobs/:id 404', 'GET /jobs/:id 404', 'GET unmatched 404']);
    await app.close();
  });

  it('asks a credential like any read once one exists, unless it is made public', async () => {
    const guarded = await startTestApi({
      metrics: recordingMetrics(),
      auth: { staticKeys: ['k'.repeat(32)] },
    });
    const refused = await guarded.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { accept: 'text/plain' },
    });
    expect(refused.statusCode).toBe(401);
    await guarded.app.close();

    const open = await startTestApi({
      metrics: recordingMetrics(),
      auth: { staticKeys: ['k'.repeat(32)], metricsPublic: true },
    });
    const scraped = await open.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { accept: 'text/plain' },
    });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toContain('tork_http_requests_total');
    await open.app.close();
  });
});
