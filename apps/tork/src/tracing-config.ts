import { UsageError } from './flags.js';
import { maskCredentials } from './mask-credentials.js';
import type { Mode } from './config-flags.js';

/** The OTLP/HTTP encodings this build sends spans in. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Spans go to an OTLP/HTTP collector; the exporter reads its endpoint, headers and timeout from the standard OTEL_* variables itself. */
export interface TracingConfig {
  /** Where spans go (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces), for the log. */
  readonly endpoint: string;
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf (OpenTelemetry's default). */
  readonly protocol: OtlpProtocol;
  /** OTEL_SERVICE_NAME, else `tork-<mode>`. */
  readonly serviceName: string;
}

/** OpenTelemetry's default protocol; one this build does not send (grpc) gets a warning and this. */
const DEFAULT_PROTOCOL: OtlpProtocol = 'http/protobuf';
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const isOtlpProtocol = (text: string): text is OtlpProtocol =>
  (PROTOCOLS as readonly string[]).includes(text);

/**
 * Tracing as the standard OpenTelemetry variables ask: on when an OTLP endpoint is set, unless
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. A malformed endpoint is a UsageError.
 */
export function parseTracingEnv(
  env: NodeJS.ProcessEnv,
  mode: Mode,
): { readonly tracing?: TracingConfig; readonly warnings: readonly string[] } {
  const value = (name: string): string | undefined => {
    const text = env[name]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const tracesEndpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (tracesEndpoint === undefined && baseEndpoint === undefined) return { warnings: [] };
  if (value('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { warnings: [] };
  const exporters = (value('OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').map((name) => name.trim());
  if (exporters.includes('none')) return { warnings: [] };
  const warnings: string[] = [];
  if (exporters.some((name) => name !== 'otlp'))
    warnings.push(
      `OTEL_TRACES_EXPORTER=${exporters.join(',')}: only otlp is supported; spans go over OTLP/HTTP`,
    );
  const protocolVariable =
    value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') === undefined
      ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
      : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const asked = value(protocolVariable);
  const protocol = asked !== undefined && isOtlpProtocol(asked) ? asked : DEFAULT_PROTOCOL;
  if (asked !== undefined && asked !== protocol)
    warnings.push(
      `${protocolVariable}=${asked}: only http/protobuf and http/json are supported; spans are sent as ${DEFAULT_PROTOCOL}`,
    );
  const endpoint =
    tracesEndpoint === undefined
      ? `${httpUrl(baseEndpoint ?? '', 'OTEL_EXPORTER_OTLP_ENDPOINT').replace(/\/$/, '')}/v1/traces`
      : httpUrl(tracesEndpoint, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  return {
    tracing: { endpoint, protocol, serviceName: value('OTEL_SERVICE_NAME') ?? `tork-${mode}` },
    warnings,
  };
}

function httpUrl(text: string, variable: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^https?:$/.test(url.protocol))
    throw new UsageError(
      `${variable} must be an http or https URL such as http://collector:4318; got "${maskCredentials(text)}"`,
    );
  return text;
}
