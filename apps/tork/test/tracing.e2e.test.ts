import {
  Cluster,
  describeWithDistributedServices,
  isolatedServices,
  postgresTestDsn,
  rabbitMqTestUrl,
  startTork,
  waitForJob,
  type IsolatedServices,
} from '@tork/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

// Tasks run in the shell runtime, as nobody: this test is about where spans go, not containers.
const SHELL = ['-runtime', 'shell', '-shell-uid', '65534', '-shell-gid', '65534'];
const JOB = 'name: traced\ntasks:\n  - name: one\n    run: echo one\n';
/** Runs past the 100 ms after which a worker reports a start on its own (a quicker task's end carries it). */
const SLOWER_JOB = 'name: traced\ntasks:\n  - name: one\n    run: echo one; sleep 0.4\n';
const SERVER = 2;
const CONSUMER = 5;
const CLIENT = 3;

const describeDistributed = await describeWithDistributedServices({ docker: false });

describeDistributed('tracing across the processes of a distributed engine', () => {
  let services: IsolatedServices;
  let receiver: OtlpReceiver;
  let cluster: Cluster;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    services = await isolatedServices(postgresTestDsn(), rabbitMqTestUrl());
    cluster = new Cluster(services, { api: ['-runtime', 'shell'], worker: SHELL });
    await cluster.migrate();
    // Every process exports to the receiver, the standard way; batches leave at once rather than every 5 s.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
    await cluster.start('scheduler', env);
    await cluster.start('worker', env);
    await cluster.start('api', env);
  }, 60_000);

  afterAll(async () => {
    expect(await cluster.stopAll()).toEqual([0, 0, 0]);
    await services.remove();
    await receiver.close();
  });

  it('follows a job in one trace: api → scheduler → worker → scheduler', async () => {
    const [api] = cluster.of('api');
    if (api === undefined) throw new Error('no api process');
    const response = await fetch(`${api.baseUrl}/jobs`, {
      method: 'POST',
      body: JOB,
      headers: { 'content-type': 'text/yaml' },
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    expect((await waitForJob(api.baseUrl, id)).state).toBe('COMPLETED');

    const trace = await traceOfSubmission(receiver, id, cluster);
    const describe = () => `${formatTrace(trace)}\n${cluster.output()}`;

    // One root, the API's request; every other span's parent is in the trace.
    const roots = trace.filter((span) => span.parentSpanId === '');
    expect(
      roots.map((span) => [span.service, span.name, span.kind]),
      describe(),
    ).toEqual([['tork-api', 'POST /jobs', SERVER]]);
    const ids = new Set(trace.map((span) => span.spanId));
    const orphans = trace.filter((span) => span.parentSpanId !== '' && !ids.has(span.parentSpanId));
    expect(orphans, describe()).toEqual([]);
    expect(new Set(trace.map((span) => span.service))).toEqual(
      new Set(['tork-api', 'tork-scheduler', 'tork-worker']),
    );

    // The scheduler handles the job before the worker runs its task, and the task's end after it.
    const run = only(trace, 'worker run', describe);
    expect(run).toMatchObject({ service: 'tork-worker', kind: CONSUMER });
    expect(run.attributes).toMatchObject({ 'tork.job.id': id, 'messaging.destination.name': 'default' });
    const completed = only(trace, 'scheduler completed', describe);
    expect(ancestry(trace, completed), describe()).toEqual([
      'tork-scheduler scheduler completed',
      'tork-worker worker run',
      'tork-scheduler scheduler jobs',
      'tork-api POST /jobs',
    ]);
    expect(completed.attributes).toMatchObject({
      'tork.job.id': id,
      'tork.task.id': run.attributes['tork.task.id'],
    });

    // Inside the handlers: what the scheduler asked of PostgreSQL, and the worker of its runtime.
    const jobs = trace.find((span) => span.spanId === run.parentSpanId);
    const under = (parent: ReceivedSpan | undefined, prefix: string) =>
      trace.filter((span) => span.parentSpanId === parent?.spanId && span.name.startsWith(prefix));
    const reads = under(jobs, 'datastore ');
    expect(reads.length, describe()).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read).toMatchObject({ service: 'tork-scheduler', kind: CLIENT });
      expect(read.attributes).toEqual({ 'db.system': 'postgresql' });
    }
    expect(
      under(run, 'runtime ').map((span) => [span.service, span.name, span.kind, span.attributes]),
      describe(),
    ).toEqual([['tork-worker', 'runtime run', CLIENT, { 'tork.runtime': 'shell' }]]);
    expect(receiver.refused).toEqual([]);
    // OpenTelemetry's default encoding, as no OTEL_EXPORTER_OTLP_PROTOCOL was set.
    expect(receiver.contentTypes).toEqual(new Set(['application/x-protobuf']));
  });
});

describe('tracing of a standalone engine', () => {
  it('sends the spans still batched when the process stops, in JSON when asked', async () => {
    const receiver = await startOtlpReceiver();
    try {
      // Batches would leave only after an hour: what arrives was flushed by the graceful stop.
      const tork = await startTork(['-mode', 'standalone', ...SHELL], {
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_BSP_SCHEDULE_DELAY: '3600000',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        },
      });
      const response = await fetch(`${tork.baseUrl}/jobs`, {
        method: 'POST',
        body: SLOWER_JOB,
        headers: { 'content-type': 'text/yaml' },
      });
      const { id } = (await response.json()) as { id: string };
      expect((await waitForJob(tork.baseUrl, id)).state).toBe('COMPLETED');
      expect(receiver.spans).toEqual([]);

      expect(await tork.stop()).toBe(0);

      const submission = receiver.spans.find((span) => span.name === 'POST /jobs');
      const trace = receiver.spans.filter((span) => span.traceId === submission?.traceId);
      const names = (spans: readonly ReceivedSpan[]) => spans.map((span) => `${span.service} ${span.name}`);
      const [stored, other] = partition(trace, (span) => span.name.startsWith('datastore '));
      expect(new Set(names(other))).toEqual(
        new Set([
          'tork-standalone POST /jobs',
          'tork-standalone scheduler jobs',
          'tork-standalone worker run',
          'tork-standalone runtime run',
          'tork-standalone scheduler started',
          'tork-standalone scheduler logs',
          'tork-standalone scheduler completed',
        ]),
      );
      // Which store calls a handler makes is the handler's business; that each is a child of a span in the trace is ours.
      const ids = new Set(trace.map((span) => span.spanId));
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.filter((span) => !ids.has(span.parentSpanId))).toEqual([]);
      expect(new Set(stored.map((span) => span.attributes['db.system']))).toEqual(new Set(['memory']));
      expect(receiver.contentTypes).toEqual(new Set(['application/json']));
    } finally {
      await receiver.close();
    }
  });
});

/** The spans of the trace that submitted job `id`, once its task's completion has been handled. */
async function traceOfSubmission(
  receiver: OtlpReceiver,
  id: string,
  cluster: Cluster,
): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const handled = receiver.spans.find(
      (span) => span.name === 'scheduler completed' && span.attributes['tork.job.id'] === id,
    );
    const trace =
      handled === undefined ? [] : receiver.spans.filter((span) => span.traceId === handled.traceId);
    // Each process exports its own batches: the API's request span (sent once the answer is) and
    // the worker's run span may arrive after the scheduler's. Wait until every parent is in.
    const ids = new Set(trace.map((span) => span.spanId));
    const whole = trace.every((span) => span.parentSpanId === '' || ids.has(span.parentSpanId));
    if (whole && trace.some((span) => span.name === 'POST /jobs')) return trace;
    if (Date.now() > deadline)
      throw new Error(
        `no complete trace of job ${id}; received:\n${formatTrace(receiver.spans)}\nrefused: ${receiver.refused.join(', ')}\n${cluster.output()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The spans that match, and those that do not. */
function partition(
  spans: readonly ReceivedSpan[],
  matches: (span: ReceivedSpan) => boolean,
): [ReceivedSpan[], ReceivedSpan[]] {
  return [spans.filter(matches), spans.filter((span) => !matches(span))];
}

function only(trace: readonly ReceivedSpan[], name: string, describe: () => string): ReceivedSpan {
  const found = trace.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`${String(found.length)} spans named ${name}:\n${describe()}`);
  return found[0] as ReceivedSpan;
}

/** `span` and its ancestors up to the root, as `service name`. */
function ancestry(trace: readonly ReceivedSpan[], span: ReceivedSpan): string[] {
  const chain: string[] = [];
  for (let at: ReceivedSpan | undefined = span; at !== undefined;) {
    chain.push(`${at.service} ${at.name}`);
    const parent: string = at.parentSpanId;
    at = parent === '' ? undefined : trace.find((candidate) => candidate.spanId === parent);
  }
  return chain;
}

function formatTrace(spans: readonly ReceivedSpan[]): string {
  return spans
    .map(
      (span) =>
        `${span.traceId} ${span.spanId} <- ${span.parentSpanId || '(root)'} ${span.service} ${span.name}`,
    )
    .join('\n');
}
