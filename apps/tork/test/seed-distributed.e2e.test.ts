import {
  describeWithDistributedServices,
  isolatedServices,
  postgresTestDsn,
  rabbitMqTestUrl,
  startTork,
  waitForJob,
  type IsolatedServices,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const describeDistributed = await describeWithDistributedServices({ docker: true });

// The seed README's "Running in a distributed mode": a coordinator and a worker over RabbitMQ,
// with the flags exactly as it types them (plus the test's own vhost in the URL).
describeDistributed("the seed's distributed-mode commands", () => {
  let services: IsolatedServices;
  let coordinator: TorkProcess;
  let worker: TorkProcess;

  beforeAll(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    coordinator = await startTork([
      '-mode',
      'coordinator',
      '-broker',
      'rabbitmq',
      '-rabbitmq-url',
      services.rabbitmqUrl,
    ]);
    worker = await startTork([
      '-mode',
      'worker',
      '-broker',
      'rabbitmq',
      '-rabbitmq-url',
      services.rabbitmqUrl,
    ]);
  });

  afterAll(async () => {
    expect(await worker.stop()).toBe(0);
    expect(await coordinator.stop()).toBe(0);
    await services.remove();
  });

  it('run the hello world', async () => {
    const hello =
      'name: hello job\ntasks:\n  - name: say hello\n    image: ubuntu:mantic\n    run: |\n      echo -n hello world\n';
    const response = await fetch(`${coordinator.baseUrl}/job`, {
      method: 'POST',
      body: hello,
      headers: { 'Content-type': 'text/yaml' },
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    const job = await waitForJob(coordinator.baseUrl, id);
    expect(job.state).toBe('COMPLETED');
    expect(job.execution[0]?.result).toBe('hello world');
    const nodes = (await (await fetch(`${coordinator.baseUrl}/nodes`)).json()) as { status: string }[];
    expect(nodes.map((node) => node.status)).toEqual(['UP']);
  });

  it('answers a submission with `wait` once the job has ended, with the whole job', async () => {
    const response = await fetch(`${coordinator.baseUrl}/jobs`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'waited',
        wait: { timeout: '1m' },
        tasks: [{ name: 'say hello', image: 'ubuntu:mantic', run: 'echo -n waited for' }],
      }),
      headers: { 'Content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    const job = (await response.json()) as { state: string; execution: { result?: string }[] };
    expect(job.state).toBe('COMPLETED');
    expect(job.execution[0]?.result).toBe('waited for');
  });
});
