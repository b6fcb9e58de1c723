import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { errorMessage } from './errors.js';
import type { Message } from './messages.js';

/**
 * Distributed tracing through the OpenTelemetry API only: until a process registers an SDK (the
 * tork command does when OTLP is configured), every call here is the API's no-op.
 * Trace context travels beside messages as W3C `traceparent`/`tracestate` headers, never in bodies.
 */
export const tracer = trace.getTracer('tork');

export { SpanKind, type Attributes, type Span };

type Headers = Readonly<Record<string, string>>;

/**
 * `headers` plus the trace context of the active span; `headers` itself (no copy) when no span is
 * active, as always without an SDK.
 */
export function withTraceContext(headers: Headers | undefined): Headers | undefined {
  const active = context.active();
  const spanContext = trace.getSpanContext(active);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return headers;
  const carrier: Record<string, string> = { ...headers };
  propagation.inject(active, carrier);
  return carrier;
}

/**
 * Runs `fn` in the trace context `headers` carry (none: a context without a span, so what `fn`
 * starts is a new trace, whatever the deliverer's own context was).
 */
export function inTraceContextOf<T>(headers: Headers, fn: () => T): T {
  return context.with(propagation.extract(ROOT_CONTEXT, headers), fn);
}

/**
 * Runs `fn` inside a new active span, a child of the active context; a rejection marks the span
 * as failed. The span ends when `fn` settles. `attributes` is called only for a span that records
 * (never without an SDK).
 */
export function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: () => Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind }, async (span) => {
    if (span.isRecording()) span.setAttributes(attributes());
    try {
      return await fn(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * {@link inSpan} when a span is active, else `fn` alone: for calls (the datastore's, the runtime's)
 * that matter as parts of a request or a message's handling, where a poll outside any span would
 * make a trace of one span each time.
 */
export function inChildSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: () => Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  if (trace.getActiveSpan() === undefined) return fn();
  return inSpan(name, kind, attributes, fn);
}

/** Marks the active span failed (a task that failed is handled fine, yet shows as failed). */
export function markActiveSpanFailed(reason: string): void {
  trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: reason });
}

/** What a span of handling `message` from `queue` is tagged with: the queue, job and task. */
export function messageAttributes(queue: string, message: Message): Attributes {
  const attributes: Attributes = { 'messaging.destination.name': queue, 'tork.message.type': message.type };
  if ('jobId' in message) attributes['tork.job.id'] = message.jobId;
  if ('taskId' in message) attributes['tork.task.id'] = message.taskId;
  return attributes;
}
