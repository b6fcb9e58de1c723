import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { inSpan, SpanKind, type Datastore } from '@tork/domain';
import { credentialStoreContract, datastoreContract, jobFixture, withTestTracer } from '@tork/testing';
import { describe, expect, it } from 'vitest';
import { InMemoryDatastore } from './inmemory-datastore.js';
import { TracingDatastore } from './tracing-datastore.js';

// Without an SDK (so without spans) the decorator must still be a faithful datastore.
datastoreContract('TracingDatastore over InMemoryDatastore', () =>
  Promise.resolve(new TracingDatastore(new InMemoryDatastore(), 'memory')),
);
credentialStoreContract('TracingDatastore over InMemoryDatastore', () =>
  Promise.resolve(new TracingDatastore(new InMemoryDatastore(), 'memory')),
);

const noAttributes = () => ({});

describe('TracingDatastore with an OpenTelemetry SDK', () => {
  const tracer = withTestTracer();

  function spansNamed(name: string): ReadableSpan[] {
    return tracer.spans().filter((span) => span.name === name);
  }

  it('gives a call made in a span a CLIENT span of its own, a child of that span', async () => {
    const store: Datastore = new TracingDatastore(new InMemoryDatastore(), 'postgresql');
    const job = jobFixture();

    const stored = await inSpan('handle', SpanKind.CONSUMER, noAttributes, async () => {
      await store.jobs.create(job);
      return store.jobs.get(job.id);
    });

    expect(stored?.id).toBe(job.id);
    const [handle] = spansNamed('handle');
    const [create] = spansNamed('datastore jobs.create');
    const [get] = spansNamed('datastore jobs.get');
    expect(tracer.spans()).toHaveLength(3);
    for (const span of [create, get]) {
      expect(span?.kind).toBe(SpanKind.CLIENT);
      expect(span?.attributes).toEqual({ 'db.system': 'postgresql' });
      expect(span?.parentSpanContext?.spanId).toBe(handle?.spanContext().spanId);
      expect(span?.spanContext().traceId).toBe(handle?.spanContext().traceId);
      expect(span?.status.code).toBe(0);
    }
  });

  it('marks the span of a call that rejects failed, and the caller still gets the rejection', async () => {
    const store = new TracingDatastore(new InMemoryDatastore(), 'memory');
    const job = jobFixture();
    await store.jobs.create(job);

    await expect(
      inSpan('handle', SpanKind.CONSUMER, noAttributes, () => store.jobs.create(job)),
    ).rejects.toMatchObject({ code: 'CONFLICT' });

    const [create] = spansNamed('datastore jobs.create');
    expect(create?.status).toEqual({ code: 2, message: `job ${job.id} already exists` });
    expect(create?.attributes).toEqual({ 'db.system': 'memory' });
  });

  it('makes no span for a call outside any span (a poll), nor for the datastore’s own methods', async () => {
    const store = new TracingDatastore(new InMemoryDatastore(), 'memory');

    expect(await store.jobs.count(['PENDING'])).toBe(0);
    await inSpan('handle', SpanKind.CONSUMER, noAttributes, async () => {
      await store.healthCheck();
      expect(await store.runExclusive('sweep', () => Promise.resolve())).toBe(true);
    });

    expect(tracer.spans().map((span) => span.name)).toEqual(['handle']);
  });
});
