import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestApi, type TestApi } from '../api.fixture.js';

let api: TestApi | undefined;

afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

describe('GET /health', () => {
  it('is UP with the version when the datastore and the broker answer', async () => {
    api = await startTestApi();

    const response = await api.app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(200);
    expect(json(response.body)).toEqual({
      status: 'UP',
      version: '1.2.3',
      checks: { datastore: 'UP', broker: 'UP' },
    });
  });

  it('is DOWN with 503 when the datastore is closed', async () => {
    api = await startTestApi();
    await api.datastore.close();

    const response = await api.app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(503);
    expect(json(response.body)).toEqual({
      status: 'DOWN',
      version: '1.2.3',
      checks: { datastore: 'DOWN', broker: 'UP' },
    });
  });

  it('never shows why a dependency is down: driver text names hosts and users', async () => {
    const driverText = 'password authentication failed for user "tork" (db.internal:5432)';
    api = await startTestApi();
    api.datastore.healthCheck = () => Promise.reject(new Error(driverText));

    const response = await api.app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain('password');
    expect(response.body).not.toContain('db.internal');
    expect(json(response.body)['checks']).toEqual({ datastore: 'DOWN', broker: 'UP' });
  });

  it('is DOWN with 503 when the broker is closed', async () => {
    api = await startTestApi();
    await api.broker.close();

    const response = await api.app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(503);
    expect(json(response.body)).toEqual({
      status: 'DOWN',
      version: '1.2.3',
      checks: { datastore: 'UP', broker: 'DOWN' },
    });
  });

  it('names every dependency that is down', async () => {
    api = await startTestApi({ readiness: () => Promise.reject(new Error('shutting down')) });
    await api.datastore.close();

    const response = await api.app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(503);
    expect(json(response.body)['checks']).toEqual({ datastore: 'DOWN', broker: 'UP', readiness: 'DOWN' });
  });

  it('is UP when the readiness check passes', async () => {
    api = await startTestApi({ readiness: () => Promise.resolve() });

    const response = await api.app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(200);
  });
});

describe('GET /health/ready and /health/live', () => {
  it('answers readiness like /health, while liveness stays UP when a dependency is down', async () => {
    api = await startTestApi();
    expect((await api.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    await api.broker.close();
    const ready = await api.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(json(ready.body)).toMatchObject({ status: 'DOWN', checks: { broker: 'DOWN' } });
    const live = await api.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(json(live.body)).toEqual({ status: 'UP', version: '1.2.3' });
  });
});
