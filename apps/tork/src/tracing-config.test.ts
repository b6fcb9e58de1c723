import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from './config.js';
import { UsageError } from './flags.js';

describe('tracing configuration (OpenTelemetry variables)', () => {
  it('is off by default', () => {
    expect(loadConfig(['-mode', 'standalone'], {}).tracing).toBeUndefined();
  });

  it('is on with OTEL_EXPORTER_OTLP_ENDPOINT, sending protobuf to its /v1/traces as tork-<mode>', () => {
    const config = loadConfig(['-mode', 'worker', '-broker', 'rabbitmq'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    });
    expect(config.tracing).toEqual({
      endpoint: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'tork-worker',
    });
    expect(config.warnings).toEqual([]);
  });

  it('prefers OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, and OTEL_SERVICE_NAME', () => {
    const config = loadConfig([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/v1/traces',
      OTEL_SERVICE_NAME: 'tork-eu-1',
    });
    expect(config.tracing).toEqual({
      endpoint: 'https://traces.example.com/otlp/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'tork-eu-1',
    });
  });

  it('sends JSON when OTEL_EXPORTER_OTLP_PROTOCOL asks, and OTEL_EXPORTER_OTLP_TRACES_PROTOCOL wins over it', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig([], { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing?.protocol).toBe(
      'http/json',
    );
    const both = loadConfig([], {
      ...endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    });
    expect(both.tracing?.protocol).toBe('http/protobuf');
    expect(both.warnings).toEqual([]);
  });

  it.each([
    ['OTEL_SDK_DISABLED', 'true'],
    ['OTEL_TRACES_EXPORTER', 'none'],
  ])('stays off with %s=%s', (name, value) => {
    expect(
      loadConfig([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', [name]: value }).tracing,
    ).toBeUndefined();
  });

  it('warns of a protocol or exporter it does not speak, and exports OTLP/HTTP protobuf anyway', () => {
    const config = loadConfig([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_EXPORTER: 'zipkin',
    });
    expect(config.tracing?.protocol).toBe('http/protobuf');
    expect(config.warnings).toEqual([
      'OTEL_TRACES_EXPORTER=zipkin: only otlp is supported; spans go over OTLP/HTTP',
      'OTEL_EXPORTER_OTLP_PROTOCOL=grpc: only http/protobuf and http/json are supported; spans are sent as http/protobuf',
    ]);
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable and masking a password', () => {
    const load = () =>
      loadConfig([], { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://u:s3cret@collector:4317' });
    expect(load).toThrow(UsageError);
    expect(load).toThrow(/^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http or https URL/);
    expect(load).not.toThrow(/s3cret/);
  });

  it('masks a password in the endpoint when the configuration is logged', () => {
    const config = loadConfig([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:s3cret@collector:4318' });
    expect(JSON.stringify(redactConfig(config))).not.toContain('s3cret');
  });
});
