import {
  describeWithDistributedServices,
  describeWithService,
  distributedServicesAvailable,
  isolatedServices,
  postgresTestDsn,
  rabbitMqManagementAvailable,
  rabbitMqManagementTestUrl,
  rabbitMqTestUrl,
  startTork,
  waitForJob,
  type IsolatedServices,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const managementUrl = rabbitMqManagementTestUrl();
const describeDistributed = await describeWithDistributedServices({ docker: true });
const available =
  (await distributedServicesAvailable({ docker: true })) &&
  (await rabbitMqManagementAvailable(managementUrl));

interface QueueBody {
  readonly name: string;
  readonly size: number;
  readonly subscribers: number;
  readonly unacked: number | null;
}

/** Jobs in the burst: one runs on the worker's single slot, the others wait in `default`. */
const BURST = 5;

// A coordinator that lists queues through RabbitMQ's management API, and a worker with one slot.
describeWithService(
  'Docker, PostgreSQL and RabbitMQ with its management API',
  available,
  'bash .ci/run starts them and enables rabbitmq_management',
)('GET /queues and DELETE /queues/{name} in distributed mode', () => {
  let services: IsolatedServices;
  let coordinator: TorkProcess;
  let worker: TorkProcess;

  beforeAll(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    const env = { TORK_RABBITMQ_URL: services.rabbitmqUrl, TORK_RABBITMQ_MANAGEMENT_URL: managementUrl };
    coordinator = await startTork(['-mode', 'coordinator', '-broker', 'rabbitmq'], { env });
    worker = await startTork(['-mode', 'worker', '-broker', 'rabbitmq', '-queue', 'default:1'], { env });
  });

  afterAll(async () => {
    expect(await worker.stop()).toBe(0);
    expect(await coordinator.stop()).toBe(0);
    await services.remove();
  });

  async function submit(n: number): Promise<string> {
    const response = await fetch(`${coordinator.baseUrl}/jobs`, {
      method: 'POST',
      body: JSON.stringify({ name: `burst ${n}`, tasks: [{ image: 'busybox', run: 'sleep 6' }] }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { id: string }).id;
  }

  it('lists `default` with the burst waiting in it, refuses to purge `jobs`, and a purge fails the waiting tasks', async () => {
    const ids: string[] = [];
    for (let n = 1; n <= BURST; n++) ids.push(await submit(n));

    // The management API's statistics lag by up to 5 s.
    let listed: QueueBody | undefined;
    await expect
      .poll(
        async () => {
          const queues = (await (await fetch(`${coordinator.baseUrl}/queues`)).json()) as QueueBody[];
          listed = queues.find((queue) => queue.name === 'default');
          return listed?.size ?? 0;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBeGreaterThan(0);
    // From the management API: a number (AMQP alone would say null). The worker's consumer is off
    // while its one slot is busy, so `subscribers` may read 0 here.
    expect(typeof listed?.unacked).toBe('number');
    const one = (await (await fetch(`${coordinator.baseUrl}/queues/default`)).json()) as QueueBody;
    expect(one.size).toBeGreaterThan(0);

    const refused = await fetch(`${coordinator.baseUrl}/queues/jobs`, { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: "the queue jobs is the engine's own: only work queues can be purged",
    });

    const purge = await fetch(`${coordinator.baseUrl}/queues/default`, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    const outcome = (await purge.json()) as { purged: number; failedTasks: string[] };
    expect(outcome.purged).toBeGreaterThan(0);
    expect(outcome.failedTasks).toHaveLength(outcome.purged);

    const jobs = await Promise.all(ids.map((id) => waitForJob(coordinator.baseUrl, id, undefined, 60_000)));
    const failed = jobs.filter((job) => job.state === 'FAILED');
    expect(failed.map((job) => job.execution[0]?.id).sort()).toEqual([...outcome.failedTasks].sort());
    for (const job of failed)
      expect(job.execution[0]?.error).toBe('the queue default was purged by anonymous');
    // The task a worker held was not purged: it ran to its end.
    expect(jobs.filter((job) => job.state === 'COMPLETED').length).toBe(BURST - outcome.purged);
  });
});

// Without -rabbitmq-management-url: what AMQP can tell, for the queues the engine knows of.
describeDistributed('GET /queues in distributed mode without the management API', () => {
  let services: IsolatedServices;
  let coordinator: TorkProcess;
  let worker: TorkProcess;

  beforeAll(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    const env = { TORK_RABBITMQ_URL: services.rabbitmqUrl };
    coordinator = await startTork(['-mode', 'coordinator', '-broker', 'rabbitmq'], { env });
    worker = await startTork(['-mode', 'worker', '-broker', 'rabbitmq', '-queue', 'gpu:1'], { env });
  });

  afterAll(async () => {
    expect(await worker.stop()).toBe(0);
    expect(await coordinator.stop()).toBe(0);
    await services.remove();
  });

  it("lists the engine's queues and the queue a worker consumes, with unacked null", async () => {
    // The worker's queue is known from its heartbeat, a moment after it starts.
    let queues: QueueBody[] = [];
    await expect
      .poll(
        async () => {
          queues = (await (await fetch(`${coordinator.baseUrl}/queues`)).json()) as QueueBody[];
          return queues.map((queue) => queue.name);
        },
        { timeout: 15_000, interval: 250 },
      )
      .toContain('gpu');
    expect(queues.find((queue) => queue.name === 'gpu')).toEqual({
      name: 'gpu',
      size: 0,
      subscribers: 1,
      unacked: null,
    });
    expect(queues.find((queue) => queue.name === 'jobs')).toMatchObject({ subscribers: 1, unacked: null });
    expect((await fetch(`${coordinator.baseUrl}/queues/nowhere`)).status).toBe(404);
  });
});
