import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import {
  Cluster,
  describeWithDistributedServices,
  isolatedServices,
  postgresTestDsn,
  rabbitMqTestUrl,
  startTork,
  waitForJob,
  waitUntil,
  type IsolatedServices,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// Tasks run in the shell runtime, as nobody: these tests are about deliveries, not containers.
const SHELL = ['-runtime', 'shell', '-shell-uid', '65534', '-shell-gid', '65534'];
const SECRET = 'a-webhook-secret-for-tests';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

/** A webhook receiver on loopback: records every request; `answer` picks the status per path. */
class Receiver {
  readonly requests: Received[] = [];
  answer: (path: string, calls: number) => number = () => 200;
  private readonly server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const path = request.url ?? '/';
      const calls = this.requests.filter((r) => r.path === path).length + 1;
      const status = this.answer(path, calls);
      this.requests.push({ path, headers: request.headers, body, status });
      response.writeHead(status).end();
    });
  });

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return `http://127.0.0.1:${address.port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }

  at(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The states of the bodies a path took (2xx answers only), in the order received. */
  delivered(path: string): string[] {
    return this.at(path)
      .filter((r) => r.status < 300)
      .map((r) => (JSON.parse(r.body) as { state: string }).state);
  }
}

function validSignature(request: Received): boolean {
  const timestamp = String(request.headers['tork-timestamp']);
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${request.body}`).digest('hex')}`;
  return request.headers['tork-signature'] === expected;
}

async function submit(baseUrl: string, job: object): Promise<string> {
  const response = await fetch(`${baseUrl}/jobs`, {
    method: 'POST',
    body: JSON.stringify(job),
    headers: { 'content-type': 'application/json' },
  });
  const body = (await response.json()) as { id: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.id;
}

describe('webhooks (standalone)', () => {
  let tork: TorkProcess;
  let receiver: Receiver;
  let url: string;

  beforeAll(async () => {
    receiver = new Receiver();
    url = await receiver.start();
    tork = await startTork(['-mode', 'standalone', ...SHELL], { env: { TORK_WEBHOOK_SECRET: SECRET } });
  });

  afterAll(async () => {
    expect(await tork.stop()).toBe(0);
    await receiver.stop();
  });

  it('delivers RUNNING and COMPLETED, signed; filters by if; masks secret headers in GET /jobs/{id}', async () => {
    const id = await submit(tork.baseUrl, {
      name: 'hooked',
      tasks: [{ name: 'one', run: 'echo one' }],
      webhooks: [
        { url: `${url}/all`, headers: { Authorization: 'Bearer tok-123456', 'X-Job': '{{ job.id }}' } },
        { url: `${url}/go-names`, if: "job.State == 'COMPLETED'" },
        { url: `${url}/camel`, if: "job.state == 'FAILED'" },
        { url: `${url}/tasks`, event: 'task.StateChange', if: "task.state == 'COMPLETED'" },
      ],
    });
    await waitForJob(tork.baseUrl, id);
    await waitUntil(
      'the deliveries',
      () => receiver.delivered('/all').includes('COMPLETED') && receiver.at('/tasks').length > 0,
      {
        timeoutMs: 20_000,
      },
    );

    expect(receiver.delivered('/all')).toEqual(expect.arrayContaining(['RUNNING', 'COMPLETED']));
    for (const request of receiver.at('/all')) {
      expect(validSignature(request)).toBe(true);
      expect(request.headers['authorization']).toBe('Bearer tok-123456');
      expect(request.headers['x-job']).toBe(id);
      expect(JSON.parse(request.body)).toMatchObject({ id, name: 'hooked' });
    }
    expect(new Set(receiver.at('/all').map((r) => r.headers['tork-delivery'])).size).toBe(
      receiver.at('/all').length,
    );
    await waitUntil('the deliveries', () => receiver.delivered('/go-names').length > 0, {
      timeoutMs: 10_000,
    });
    expect(receiver.delivered('/go-names')).toEqual(['COMPLETED']);
    expect(receiver.at('/camel')).toEqual([]);
    expect(receiver.delivered('/tasks')).toEqual(['COMPLETED']);

    const view = (await (await fetch(`${tork.baseUrl}/jobs/${id}`)).json()) as {
      webhooks: { headers?: Record<string, string> }[];
    };
    expect(view.webhooks[0]?.headers).toEqual({ Authorization: '[REDACTED]', 'X-Job': '{{ job.id }}' });
    expect(JSON.stringify(view)).not.toContain('tok-123456');
  });

  it('retries a receiver that answers 503 for its first three calls until it takes the delivery', async () => {
    receiver.answer = (path, calls) => (path === '/flaky' && calls <= 3 ? 503 : 200);
    const id = await submit(tork.baseUrl, {
      name: 'flaky receiver',
      tasks: [{ name: 'one', run: 'echo one' }],
      webhooks: [{ url: `${url}/flaky`, if: "job.state == 'COMPLETED'" }],
    });
    await waitForJob(tork.baseUrl, id);
    await waitUntil('the deliveries', () => receiver.delivered('/flaky').length > 0, { timeoutMs: 30_000 });

    const calls = receiver.at('/flaky');
    expect(calls.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(calls.map((r) => r.headers['tork-delivery'])).size).toBe(1);
  });

  it('delivers task.Progress and job.Progress with the progress the task reported', async () => {
    const id = await submit(tork.baseUrl, {
      name: 'progressing',
      tasks: [{ name: 'half', run: 'echo 50 > $TORK_PROGRESS; sleep 3; echo done' }],
      webhooks: [
        { url: `${url}/task-progress`, event: 'task.Progress' },
        { url: `${url}/job-progress`, event: 'job.Progress', if: 'job.progress > 0' },
      ],
    });
    await waitForJob(tork.baseUrl, id);
    const progressed = (path: string) =>
      receiver
        .at(path)
        .filter((r) => r.status < 300)
        .map((r) => ({
          event: r.headers['tork-event'],
          body: JSON.parse(r.body) as { id: string; jobId?: string; progress?: number },
        }));
    await waitUntil(
      'the progress deliveries',
      () => progressed('/task-progress').length > 0 && progressed('/job-progress').length > 0,
      { timeoutMs: 20_000 },
    );

    for (const { event, body } of progressed('/task-progress')) {
      expect(event).toBe('task.Progress');
      expect(body).toMatchObject({ jobId: id, name: 'half', progress: 50 });
    }
    for (const { event, body } of progressed('/job-progress')) {
      expect(event).toBe('job.Progress');
      expect(body).toMatchObject({ id, name: 'progressing', progress: 50 });
    }
    for (const request of [...receiver.at('/task-progress'), ...receiver.at('/job-progress')])
      expect(validSignature(request)).toBe(true);
  });

  it('refuses a webhook URL that is not http(s) with 400 and its path', async () => {
    const response = await fetch(`${tork.baseUrl}/jobs`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'bad',
        tasks: [{ run: 'true' }],
        webhooks: [{ url: 'file:///etc/passwd' }],
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('webhooks[0].url');
  });
});

const describeDistributed = await describeWithDistributedServices({ docker: false });

describeDistributed('webhooks (distributed)', () => {
  let services: IsolatedServices;
  let cluster: Cluster;
  let receiver: Receiver;
  let url: string;

  beforeAll(async () => {
    receiver = new Receiver();
    url = await receiver.start();
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    // The shortest lease allowed: a claim the killed scheduler held expires in 10 s rather than 30 s.
    cluster = new Cluster(services, {
      api: ['-runtime', 'shell'],
      worker: SHELL,
      scheduler: ['-webhook-lease', '10s'],
    });
    await cluster.migrate();
  });

  afterEach(async () => {
    for (const { process } of cluster.processes) await process.stop();
  });

  afterAll(async () => {
    await receiver.stop();
    await services.remove();
  });

  it('delivers after a scheduler killed with deliveries pending restarts, with the same delivery id', async () => {
    receiver.answer = () => 503;
    const env = { TORK_WEBHOOK_SECRET: SECRET };
    const api = await cluster.start('api');
    const scheduler = await cluster.start('scheduler', env);
    await cluster.start('worker');
    const id = await submit(api.baseUrl, {
      name: 'survives',
      tasks: [{ name: 'one', run: 'echo one' }],
      webhooks: [{ url: `${url}/pending`, if: "job.State == 'COMPLETED'" }],
    });
    await waitForJob(api.baseUrl, id);
    await waitUntil('the deliveries', () => receiver.at('/pending').length > 0, { timeoutMs: 20_000 });
    const before = receiver.at('/pending')[0]?.headers['tork-delivery'];

    await scheduler.kill();
    receiver.answer = () => 200;
    await cluster.start('scheduler', env);
    // A claim the killed scheduler held expires with its lease (-webhook-lease 10s).
    await waitUntil('the deliveries', () => receiver.delivered('/pending').length > 0, { timeoutMs: 40_000 });

    const taken = receiver.at('/pending').filter((r) => r.status === 200);
    expect(taken.map((r) => r.headers['tork-delivery'])).toEqual([before]);
    expect(validSignature(taken[0] as Received)).toBe(true);
  }, 120_000);
});
