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

  it("answers with the fields Tork's clients read: taskCount, cpuPercent, version, hostname, startedAt", async () => {
    const { app, datastore } = await startTestApi();
    const now = Date.now();
    const startedAt = new Date(now - 60_000).toISOString();
    await datastore.nodes.upsert({
      id: 'w1',
      hostname: 'worker-host',
      queues: { default: 2 },
      runningTasks: 2,
      cpuPercent: 41.5,
      version: '0.1.0',
      startedAt,
      lastHeartbeatAt: new Date(now - 1000).toISOString(),
    });
    await datastore.nodes.upsert({
      id: 'old',
      hostname: 'older-worker',
      queues: {},
      runningTasks: 0,
      startedAt,
      lastHeartbeatAt: new Date(now - 2000).toISOString(),
    });
    const response = await app.inject({ method: 'GET', url: '/nodes' });
    const [current, old] = JSON.parse(response.body) as Record<string, unknown>[];
    expect(current).toMatchObject({
      id: 'w1',
      hostname: 'worker-host',
      startedAt,
      status: 'UP',
      taskCount: 2,
      cpuPercent: 41.5,
      version: '0.1.0',
    });
    // A worker of an earlier version sends no CPU figure: Tork's UI still gets a number.
    expect(old).toMatchObject({ id: 'old', taskCount: 0, cpuPercent: 0 });
    await app.close();
  });
});
