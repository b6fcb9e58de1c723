import {
  Cluster,
  describeWithDistributedServices,
  isolatedServices,
  postgresTestDsn,
  rabbitMqTestUrl,
  waitForJob,
  type IsolatedServices,
  type TorkProcess,
} from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const describeDistributed = await describeWithDistributedServices({ docker: true });

const JOB = {
  name: 'prints, sleeps, prints',
  tasks: [{ name: 'slow', image: 'busybox', run: 'echo first line; sleep 2; echo second line' }],
};

interface Received {
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** What the job's state was, read through the other replica, when this event arrived. */
  jobState?: string;
  /** Milliseconds from the worker reading the line off the container to this client. */
  latencyMs?: number;
}

/** Reads a Server-Sent Events response to its end, calling `onEvent` as each event arrives. */
async function readSse(response: Response, onEvent: (event: Received) => Promise<void>): Promise<void> {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (reader === undefined) throw new Error('no body');
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let at = buffer.indexOf('\n\n');
    while (at >= 0) {
      const fields = new Map(
        buffer
          .slice(0, at)
          .split('\n')
          .filter((line) => !line.startsWith(':') && line.includes(': '))
          .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)] as const),
      );
      buffer = buffer.slice(at + 2);
      const data = fields.get('data');
      if (data !== undefined)
        await onEvent({
          event: fields.get('event') ?? 'message',
          data: JSON.parse(data) as Record<string, unknown>,
        });
      at = buffer.indexOf('\n\n');
    }
  }
}

describeDistributed('live streams across API replicas (distributed mode)', () => {
  let services: IsolatedServices;
  let cluster: Cluster;
  let submitTo: TorkProcess;
  let followThrough: TorkProcess;

  beforeAll(async () => {
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    cluster = new Cluster(services);
    await cluster.migrate();
    await cluster.start('scheduler');
    await cluster.start('worker');
    submitTo = await cluster.start('api');
    followThrough = await cluster.start('api');
  }, 120_000);

  afterAll(async () => {
    await cluster.stopAll();
    await services.remove();
  }, 60_000);

  it("follows a job's log through the second replica and gets the first line while the task still runs", async () => {
    const submitted = await fetch(`${submitTo.baseUrl}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(JOB),
    });
    expect(submitted.status).toBe(200);
    const { id } = (await submitted.json()) as { id: string };

    const stream = await fetch(`${followThrough.baseUrl}/jobs/${id}/log?follow=true`);
    expect(stream.status).toBe(200);
    const received: Received[] = [];
    await readSse(stream, async (event) => {
      if (typeof event.data['at'] === 'string') event.latencyMs = Date.now() - Date.parse(event.data['at']);
      const job = await fetch(`${submitTo.baseUrl}/jobs/${id}`);
      event.jobState = ((await job.json()) as { state: string }).state;
      received.push(event);
    });

    expect(received.map((event) => [event.event, event.data['text'] ?? null])).toEqual([
      ['log', 'first line\n'],
      ['log', 'second line\n'],
      ['end', null],
    ]);
    expect(received[0]?.jobState).toBe('RUNNING');
    // The goal is 300 ms (p50); a bound this loose only catches a stream that polls instead of being told.
    console.info(`log line latency: ${received.map((event) => event.latencyMs ?? '-').join(', ')} ms`);
    expect(received[0]?.latencyMs).toBeLessThan(1500);
    const done = await waitForJob(submitTo.baseUrl, id);
    expect(done.state).toBe('COMPLETED');
  }, 60_000);
});
