import { tickJobId } from '@tork/domain';
import {
  Cluster,
  describeWithDistributedServices,
  isolatedServices,
  postgresTestDsn,
  rabbitMqTestUrl,
  sleep,
  startTork,
  type IsolatedServices,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The noop runtime completes every task at once: these tests are about which jobs the ticks create.
const NOOP = ['-runtime', 'noop'];

const EVERY_SECOND = `name: every second
schedule:
  cron: "* * * * * *"
tasks:
  - name: tick
    image: busybox
    run: echo tick
`;

interface JobItem {
  readonly id: string;
  readonly state: string;
  readonly createdAt: string;
  readonly schedule?: { id: string; cron: string };
  readonly scheduledJobId?: string;
}

async function call(baseUrl: string, method: string, path: string, body?: string): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'text/yaml' } }),
  });
}

async function schedule(baseUrl: string, yaml = EVERY_SECOND): Promise<{ id: string; createdAt: string }> {
  const response = await call(baseUrl, 'POST', '/scheduled-jobs', yaml);
  expect(response.status).toBe(200);
  return (await response.json()) as { id: string; createdAt: string };
}

/** Every job the scheduled job created (at most 100). */
async function jobsOf(baseUrl: string, scheduledJobId: string): Promise<JobItem[]> {
  const response = await call(baseUrl, 'GET', `/jobs?scheduledJobId=${scheduledJobId}&size=100`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: JobItem[] }).items;
}

/** Long enough for a tick being fired when a state changed to have landed. */
const SETTLE_MS = 1500;

/** A schedule every second creates jobs; pause stops them, resume restarts them, delete removes it. */
function scheduleLifecycle(engine: () => string): void {
  it('a schedule every second (6 fields) creates jobs; pause stops them; resume restarts them; delete removes it', async () => {
    const baseUrl = engine();
    const { id } = await schedule(baseUrl);

    await vi.waitFor(
      async () => {
        expect((await jobsOf(baseUrl, id)).length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 20_000, interval: 250 },
    );
    const [first] = await jobsOf(baseUrl, id);
    expect(first).toMatchObject({ schedule: { id, cron: '* * * * * *' }, scheduledJobId: id });
    await vi.waitFor(
      async () => {
        const job = (await (await call(baseUrl, 'GET', `/jobs/${first?.id ?? ''}`)).json()) as JobItem;
        expect(job).toMatchObject({ state: 'COMPLETED', schedule: { id, cron: '* * * * * *' } });
      },
      { timeout: 20_000, interval: 250 },
    );

    expect((await call(baseUrl, 'PUT', `/scheduled-jobs/${id}/pause`)).status).toBe(200);
    await sleep(SETTLE_MS);
    const whilePaused = (await jobsOf(baseUrl, id)).length;
    await sleep(3000);
    expect((await jobsOf(baseUrl, id)).length).toBe(whilePaused);
    expect(await (await call(baseUrl, 'GET', `/scheduled-jobs/${id}`)).json()).toMatchObject({
      state: 'PAUSED',
      nextRunAt: [],
    });

    expect((await call(baseUrl, 'PUT', `/scheduled-jobs/${id}/resume`)).status).toBe(200);
    await vi.waitFor(
      async () => {
        expect((await jobsOf(baseUrl, id)).length).toBeGreaterThan(whilePaused + 1);
      },
      { timeout: 20_000, interval: 250 },
    );

    expect((await call(baseUrl, 'DELETE', `/scheduled-jobs/${id}`)).status).toBe(200);
    expect((await call(baseUrl, 'GET', `/scheduled-jobs/${id}`)).status).toBe(404);
    await sleep(SETTLE_MS);
    const afterDelete = (await jobsOf(baseUrl, id)).length;
    await sleep(2500);
    expect((await jobsOf(baseUrl, id)).length).toBe(afterDelete);
  }, 90_000);
}

describe('scheduled jobs in standalone mode', () => {
  let tork: TorkProcess;

  beforeAll(async () => {
    tork = await startTork(['-mode', 'standalone', ...NOOP, '-log-level', 'warn']);
  });

  afterAll(async () => {
    expect(await tork.stop()).toBe(0);
  });

  scheduleLifecycle(() => tork.baseUrl);
});

const describeDistributed = await describeWithDistributedServices({ docker: false });

describeDistributed('scheduled jobs in distributed mode, with two schedulers', () => {
  let services: IsolatedServices;
  let cluster: Cluster;
  let api: TorkProcess;

  beforeAll(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    cluster = new Cluster(services, { api: NOOP, worker: NOOP });
    await cluster.migrate();
    await cluster.start('scheduler');
    await cluster.start('scheduler');
    await cluster.start('worker');
    api = await cluster.start('api');
  }, 60_000);

  afterAll(async () => {
    await cluster.stopAll();
    await services.remove();
  });

  scheduleLifecycle(() => api.baseUrl);

  // Every tick is its own race: both schedulers wake at the fire time and the datastore's atomic fire
  // lets one create the job. No lease or leader changes hands over time, so 15 ticks prove what 30 did.
  it('two schedulers for 15 s create exactly one job per tick', async () => {
    const { id, createdAt } = await schedule(api.baseUrl);
    await sleep(15_000);
    expect((await call(api.baseUrl, 'PUT', `/scheduled-jobs/${id}/pause`)).status).toBe(200);
    await sleep(SETTLE_MS);
    expect(cluster.of('scheduler')).toHaveLength(2);

    // Each tick's job has an id derived from its fire time: find the tick of every job.
    const jobs = await jobsOf(api.baseUrl, id);
    const ticks = new Map<string, string>();
    for (let at = Math.ceil(Date.parse(createdAt) / 1000) * 1000; at <= Date.now(); at += 1000) {
      const fireAt = new Date(at).toISOString();
      ticks.set(tickJobId(id, fireAt), fireAt);
    }
    const fired = jobs.map((job) => ticks.get(job.id));
    expect(fired.filter((fireAt) => fireAt === undefined)).toEqual([]);
    // One job per fire time, and every tick from the first to the last has its job.
    const times = [...new Set(fired)].sort() as string[];
    expect(times).toHaveLength(jobs.length);
    const span = (Date.parse(times.at(-1) ?? '') - Date.parse(times[0] ?? '')) / 1000 + 1;
    expect(times).toHaveLength(span);
    expect(jobs.length).toBeGreaterThanOrEqual(12);
  }, 90_000);
});
