import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import { SpanKind, tracer } from '@tork/domain';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';

/**
 * A SERVER span per request, named by its route template (`POST /jobs/:id/cancel`) and continuing
 * a caller's `traceparent`; each route's handler runs inside it, so that what it publishes carries
 * the trace on. Without an OpenTelemetry SDK every call is the API's no-op. Register before routes.
 */
export function registerHttpTracing(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();

  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      { kind: SpanKind.SERVER },
      parent,
    );
    // Without an SDK the span is the API's no-op: nothing to keep.
    if (!isSpanContextValid(span.spanContext())) {
      done();
      return;
    }
    if (span.isRecording())
      span.setAttributes({
        'http.request.method': request.method,
        // The path only: a query may hold a stream token.
        'url.path': request.url.split('?', 1)[0] ?? request.url,
        ...(route === undefined ? {} : { 'http.route': route }),
      });
    spans.set(request, span);
    done();
  });

  const end = (request: FastifyRequest, reply: FastifyReply): void => {
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    const span = spans.get(request);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away' });
    span?.end();
    spans.delete(request);
    done();
  });

  // Hooks before the handler (authentication, parsing) run outside the span's context; the handler inside it.
  app.addHook('onRoute', (route) => {
    const handler: RouteHandlerMethod = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      const span = spans.get(request);
      if (span === undefined) return handler.call(this, request, reply);
      return context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply));
    };
  });
}
