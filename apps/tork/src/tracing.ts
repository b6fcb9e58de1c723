import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { errorMessage } from '@tork/domain';
import type { Logger } from 'pino';
import type { Stop } from './lifecycle.js';
import type { TracingConfig } from './tracing-config.js';
import { maskCredentials } from './mask-credentials.js';
import { VERSION } from './version.js';

/**
 * Registers the OpenTelemetry SDK for this process: spans batched (BatchSpanProcessor) to the
 * OTLP/HTTP exporter of the configured encoding (protobuf or JSON), which reads
 * OTEL_EXPORTER_OTLP_* itself, as the SDK reads OTEL_TRACES_SAMPLER, OTEL_BSP_* and
 * OTEL_RESOURCE_ATTRIBUTES. Resolves to the stop that flushes what is still batched.
 * The SDK is loaded only here, so a process without tracing never loads it.
 */
export async function startTracing(config: TracingConfig, logger: Logger): Promise<Stop> {
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    config.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
  ]);
  // The SDK's own troubles (a collector that does not answer) reach the log, not the void.
  diag.setLogger(diagToPino(logger.child({ component: 'tracing' })), DiagLogLevel.WARN);
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': VERSION }),
    )
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Also installs the W3C trace-context propagator and the async-local-storage context manager.
  provider.register();
  logger.info(
    {
      endpoint: maskCredentials(config.endpoint),
      protocol: config.protocol,
      serviceName: config.serviceName,
    },
    'tracing: exporting spans over OTLP/HTTP',
  );
  // Spans are not worth a failed stop: a collector that does not answer costs them, within OTEL_EXPORTER_OTLP_TIMEOUT.
  return async () => {
    try {
      await provider.shutdown();
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, 'tracing: could not send the last spans');
    } finally {
      diag.disable();
    }
  };
}

function diagToPino(logger: Logger): DiagLogger {
  const ignore = (): void => undefined;
  return {
    error: (message, ...args) => {
      logger.error({ details: args.map(String) }, message);
    },
    warn: (message, ...args) => {
      logger.warn({ details: args.map(String) }, message);
    },
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}
