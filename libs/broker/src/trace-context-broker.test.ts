import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { inSpan, SpanKind } from '@tork/domain';
import { brokerContract, jobMessage, waitUntil, withTestTracer } from '@tork/testing';
import { describe, expect, it } from 'vitest';
import { InMemoryBroker } from './inmemory-broker.js';
import { TraceContextBroker } from './trace-context-broker.js';

// Without an SDK the decorator must still be a faithful broker.
brokerContract('TraceContextBroker over InMemoryBroker', () =>
  Promise.resolve(new TraceContextBroker(new InMemoryBroker())),
);

const noAttributes = () => ({});

describe('TraceContextBroker with an OpenTelemetry SDK', () => {
  const tracer = withTestTracer();

  /** Subscribes a handler that handles each message inside a span of its own, as the services do. */
  async function consume(broker: TraceContextBroker, queue: string, seen: Record<string, string>[]) {
    await broker.subscribe(
      queue,
      (_message, delivery) =>
        inSpan(`handle ${queue}`, SpanKind.CONSUMER, noAttributes, () => {
          seen.push({ ...delivery.headers });
          return Promise.resolve();
        }),
      { concurrency: 1 },
    );
  }

  function spanNamed(name: string): ReadableSpan {
    const span = tracer.spans().find((candidate) => candidate.name === name);
    if (span === undefined) throw new Error(`no span ${name}`);
    return span;
  }

  it('carries the publishing span as traceparent, and the handler’s span is its child', async () => {
    const broker = new TraceContextBroker(new InMemoryBroker());
    const seen: Record<string, string>[] = [];
    await consume(broker, 'jobs', seen);

    await inSpan('submit', SpanKind.SERVER, noAttributes, () =>
      broker.publish('jobs', jobMessage(1), { headers: { kept: 'yes' } }),
    );
    await waitUntil('the handler span', () => tracer.spans().length === 2);

    const submit = spanNamed('submit');
    const handle = spanNamed('handle jobs');
    expect(seen[0]).toEqual({
      kept: 'yes',
      traceparent: `00-${submit.spanContext().traceId}-${submit.spanContext().spanId}-01`,
    });
    expect(handle.spanContext().traceId).toBe(submit.spanContext().traceId);
    expect(handle.parentSpanContext?.spanId).toBe(submit.spanContext().spanId);
    expect(handle.kind).toBe(SpanKind.CONSUMER);
    await broker.close();
  });

  it('adds no header without an active span, and the handler starts a trace of its own', async () => {
    const inner = new InMemoryBroker();
    const broker = new TraceContextBroker(inner);
    const seen: Record<string, string>[] = [];
    await consume(broker, 'pending', seen);

    await broker.publish('pending', jobMessage(2));
    // Published past the decorator while a span is active: whatever context the delivery runs in, the message carries none.
    await inSpan('unrelated', SpanKind.INTERNAL, noAttributes, () => inner.publish('pending', jobMessage(3)));
    await waitUntil('the handler spans', () => tracer.spans().length === 3);

    expect(seen).toEqual([{}, {}]);
    const handled = tracer.spans().filter((span) => span.name === 'handle pending');
    expect(handled.map((span) => span.parentSpanContext)).toEqual([undefined, undefined]);
    await broker.close();
  });

  it('marks a handler span failed when the handler rejects', async () => {
    const broker = new TraceContextBroker(new InMemoryBroker());
    await broker.subscribe(
      'error',
      () =>
        inSpan('handle error', SpanKind.CONSUMER, noAttributes, () =>
          Promise.reject(new Error('datastore down')),
        ),
      { concurrency: 1, maxDeliveries: 1, onGiveUp: () => Promise.resolve() },
    );

    await broker.publish('error', jobMessage(3));
    await waitUntil('the handler span', () => tracer.spans().length === 1);

    expect(spanNamed('handle error').status).toEqual({ code: 2, message: 'datastore down' });
    await broker.close();
  });
});
