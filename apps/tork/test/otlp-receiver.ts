import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { decodeTraceExport, type OtlpAttribute, type OtlpExport } from './otlp-protobuf.js';

/** One span as an OTLP/HTTP export carries it, with the service that sent it. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP's SpanKind: 2 server, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

/** A collector stand-in: accepts `POST /v1/traces` in OTLP/HTTP protobuf or JSON and keeps every span. */
export interface OtlpReceiver {
  /** What processes take as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly spans: readonly ReceivedSpan[];
  /** The content types of the exports it accepted. */
  readonly contentTypes: ReadonlySet<string>;
  /** Requests it refused, with why, for a failing test's message. */
  readonly refused: readonly string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const refused: string[] = [];
  const contentTypes = new Set<string>();
  const server: Server = createServer((request, response) => {
    void body(request).then((bytes) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const decode = DECODERS[type];
      if (request.method !== 'POST' || request.url !== '/v1/traces' || decode === undefined) {
        refused.push(`${request.method ?? ''} ${request.url ?? ''} (${type})`);
        response.writeHead(request.url === '/v1/traces' ? 415 : 404).end();
        return;
      }
      contentTypes.add(type);
      spans.push(...spansOf(decode(bytes)));
      // An empty ExportTraceServiceResponse, in the request's encoding.
      response.writeHead(200, { 'content-type': type }).end(type === 'application/json' ? '{}' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    spans,
    contentTypes,
    refused,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The two encodings of OTLP/HTTP, by content type. */
const DECODERS: Readonly<Record<string, (bytes: Buffer) => OtlpExport>> = {
  'application/x-protobuf': decodeTraceExport,
  'application/json': (bytes) => JSON.parse(bytes.toString('utf8')) as OtlpExport,
};

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes;
}

function spansOf(payload: OtlpExport): ReceivedSpan[] {
  return (payload.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
      })),
    );
  });
}

function attributesOf(attributes: readonly OtlpAttribute[] = []): Record<string, string | number | boolean> {
  const values: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes) {
    const given = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
    if (given !== undefined)
      values[key] = typeof given === 'string' && value.intValue !== undefined ? Number(given) : given;
  }
  return values;
}
