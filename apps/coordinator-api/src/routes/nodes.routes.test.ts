import { describe, expect, it } from 'vitest';
import { startTestApi } from '../api.fixture.js';

describe('GET /nodes', () => {
  it('lists workers with their status, queues, last heartbeat and running tasks', async () => {
    const { app, datastore } = await startTestApi();
    const now = Date.now();
    await datastore.nodes.upsert({
      id: 'live',
      hostname: 'a',
      queues: { default: 4, transcoding: 2 },
      runningTasks: 3,
      startedAt: new Date(now - 60_000).toISOString(),
      lastHeartbeatAt: new Date(now - 1000).toISOString(),
    });
    await datastore.nodes.upsert({
      id: 'gone',
      hostname: 'b',
      queues: { default: 1 },
      runningTasks: 1,
      startedAt: new Date(now - 120_000).toISOString(),
      lastHeartbeatAt: new Date(now - 60_000).toISOString(),
    });
    const response = await app.inject({ method: 'GET', url: '/nodes' });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject([
      { id: 'live', status: 'UP', queues: { default: 4, transcoding: 2 }, runningTasks: 3 },
      { id: 'gone', status: 'OFFLINE', queues: { default: 1 } },
    ]);
    await app.close();
  });
});
