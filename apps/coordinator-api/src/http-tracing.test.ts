import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { InMemoryBroker, TraceContextBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import { SpanKind } from '@tork/domain';
import { waitUntil, withTestTracer } from '@tork/testing';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HELLO_YAML } from './api.fixture.js';
import { buildApi } from './api.js';

describe('HTTP tracing with an OpenTelemetry SDK', () => {
  const tracer = withTestTracer();
  let app: FastifyInstance;
  let published: Record<string, string>[];

  beforeEach(async () => {
    const broker = new TraceContextBroker(new InMemoryBroker());
    published = [];
    await broker.subscribe(
      'jobs',
      (_message, delivery) => {
        published.push({ ...delivery.headers });
        return Promise.resolve();
      },
      { concurrency: 1 },
    );
    app = await buildApi({ datastore: new InMemoryDatastore(), broker });
  });

  afterEach(async () => {
    await app.close();
  });

  function serverSpans(): ReadableSpan[] {
    return tracer.spans().filter((span) => span.kind === SpanKind.SERVER);
  }

  it('gives a submission a SERVER span named by its route, and the queued job carries it as traceparent', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/jobs',
      payload: HELLO_YAML,
      headers: { 'content-type': 'text/yaml' },
    });
    expect(response.statusCode).toBe(200);
    await waitUntil('the published job', () => published.length === 1);

    const [span] = serverSpans();
    expect(span?.name).toBe('POST /jobs');
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/jobs',
      'http.response.status_code': 200,
    });
    const { traceId, spanId } = span?.spanContext() ?? { traceId: '', spanId: '' };
    expect(published[0]?.['traceparent']).toBe(`00-${traceId}-${spanId}-01`);
  });

  it("continues a caller's trace, and names a request with its route template, not its URL", async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await app.inject({
      method: 'GET',
      url: '/jobs/0123456789abcdef0123456789abcdef?token=secret',
      headers: { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    });
    expect(response.statusCode).toBe(404);

    const [span] = serverSpans();
    expect(span?.name).toBe('GET /jobs/:id');
    expect(span?.spanContext().traceId).toBe(callerTrace);
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes['url.path']).toBe('/jobs/0123456789abcdef0123456789abcdef');
    expect(span?.attributes['http.response.status_code']).toBe(404);
  });

  it('names a request that matched no route by its method alone', async () => {
    const response = await app.inject({ method: 'GET', url: '/no/such/route' });
    expect(response.statusCode).toBe(404);
    expect(serverSpans().map((span) => span.name)).toEqual(['GET']);
  });
});
