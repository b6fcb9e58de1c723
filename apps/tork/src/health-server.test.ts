import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '@tork/domain';
import { closeServer, listeningPort, serveHealth } from './health-server.js';

const DRIVER_TEXT = 'password authentication failed for user "tork" at db.internal:5432';

let server: Server | undefined;
afterEach(async () => {
  if (server !== undefined) await closeServer(server);
  server = undefined;
});

function recordingLogger(into: { fields: object; message: string }[]): Logger {
  const logger: Logger = {
    ...silentLogger,
    warn: (fields, message) => {
      into.push({ fields, message });
    },
    child: () => logger,
  };
  return logger;
}

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${String(listeningPort(server!))}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('serveHealth', () => {
  it('answers UP with each check named', async () => {
    server = await serveHealth('127.0.0.1', [0], '1.2.3', { broker: () => Promise.resolve() }, silentLogger);
    expect(await get('/health')).toEqual({
      status: 200,
      body: { status: 'UP', version: '1.2.3', checks: { broker: 'UP' } },
    });
  });

  it('answers 503 naming what is down but not why; the reason goes to the log', async () => {
    const logged: { fields: object; message: string }[] = [];
    server = await serveHealth(
      '127.0.0.1',
      [0],
      '1.2.3',
      { broker: () => Promise.resolve(), datastore: () => Promise.reject(new Error(DRIVER_TEXT)) },
      recordingLogger(logged),
    );
    const ready = await get('/health/ready');
    expect(ready).toEqual({
      status: 503,
      body: { status: 'DOWN', version: '1.2.3', checks: { broker: 'UP', datastore: 'DOWN' } },
    });
    expect(JSON.stringify(ready.body)).not.toContain('password');
    expect(logged).toEqual([{ fields: { failures: { datastore: DRIVER_TEXT } }, message: 'not ready' }]);
    expect((await get('/health/live')).status).toBe(200);
  });
});

describe('serveHealth /metrics', () => {
  it('renders the process metrics, Prometheus text by default and OpenMetrics when accepted', async () => {
    const { PrometheusMetrics } = await import('./metrics/prometheus-metrics.js');
    const metrics = new PrometheusMetrics();
    metrics.setFreeSlots('default', 4);
    server = await serveHealth('127.0.0.1', [0], '1.2.3', {}, silentLogger, metrics);
    const url = `http://127.0.0.1:${String(listeningPort(server))}/metrics`;

    const plain = await fetch(url);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await plain.text();
    expect(text).toContain('# TYPE tork_worker_free_slots gauge');
    expect(text).toContain('tork_worker_free_slots{queue="default"} 4');

    const open = await fetch(url, { headers: { accept: 'application/openmetrics-text' } });
    expect(open.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    expect((await open.text()).trimEnd().endsWith('# EOF')).toBe(true);
  });
});
