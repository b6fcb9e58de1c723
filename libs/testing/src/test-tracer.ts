import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** The spans the code under test finished, in the order they ended. */
export interface TestTracer {
  /** Every span finished since the current test began. */
  spans(): ReadableSpan[];
  /** Those of that name. */
  named(name: string): ReadableSpan[];
  /** The span that `span` is a child of, when it was finished in this test. */
  parentOf(span: ReadableSpan): ReadableSpan | undefined;
}

/**
 * Registers an OpenTelemetry SDK (an in-memory exporter, each span exported as it ends) as the global
 * tracer, context manager and W3C propagator for the tests of the describe block that calls it,
 * forgets the spans before each test, and unregisters it all after the block.
 */
export function withTestTracer(): TestTracer {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(() => {
    provider.register();
  });

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  beforeEach(() => {
    exporter.reset();
  });

  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  return {
    spans,
    named: (name) => spans().filter((span) => span.name === name),
    parentOf: (span) =>
      spans().find((other) => other.spanContext().spanId === span.parentSpanContext?.spanId),
  };
}
