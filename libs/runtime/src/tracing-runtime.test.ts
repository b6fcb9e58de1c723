import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { inSpan, RuntimeError, SpanKind, type ContainerSpec } from '@tork/domain';
import { FakeRuntime, runtimeContract, withTestTracer } from '@tork/testing';
import { describe, expect, it } from 'vitest';
import { ShellRuntime } from './shell-runtime.js';
import { TracingRuntime } from './tracing-runtime.js';

// Without an SDK (so without spans) the decorator must still be a faithful runtime.
runtimeContract('TracingRuntime over ShellRuntime', () => new TracingRuntime(new ShellRuntime(), 'shell'));

const noAttributes = () => ({});
const spec: ContainerSpec = { name: 'c1', image: 'alpine:3', script: 'true', env: {}, mounts: [] };

describe('TracingRuntime with an OpenTelemetry SDK', () => {
  const tracer = withTestTracer();

  function only(name: string): ReadableSpan {
    const spans = tracer.spans().filter((span) => span.name === name);
    if (spans.length !== 1) throw new Error(`${String(spans.length)} spans named ${name}`);
    return spans[0] as ReadableSpan;
  }

  it('gives a run inside a task’s span a CLIENT span under it, with the image', async () => {
    const runtime = new TracingRuntime(new FakeRuntime(), 'docker');

    const outcome = await inSpan('worker run', SpanKind.CONSUMER, noAttributes, () =>
      runtime.run(spec, new AbortController().signal),
    );

    expect(outcome.exitCode).toBe(0);
    const run = only('runtime run');
    const parent = only('worker run');
    expect(run.kind).toBe(SpanKind.CLIENT);
    expect(run.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(run.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(run.attributes).toEqual({ 'tork.runtime': 'docker', 'container.image.name': 'alpine:3' });
    expect(run.status.code).toBe(0);
  });

  it('leaves the image out for a runtime without images', async () => {
    const runtime = new TracingRuntime(new FakeRuntime(), 'shell');
    const withoutImage: ContainerSpec = { name: 'c2', script: 'true', env: {}, mounts: [] };

    await inSpan('worker run', SpanKind.CONSUMER, noAttributes, () =>
      runtime.run(withoutImage, new AbortController().signal),
    );

    expect(only('runtime run').attributes).toEqual({ 'tork.runtime': 'shell' });
  });

  it('marks the span of a run that could not run failed, and the caller still gets the error', async () => {
    const runtime = new TracingRuntime(
      new FakeRuntime({ script: () => ({ error: { kind: 'image', message: 'pull access denied' } }) }),
      'docker',
    );

    await expect(
      inSpan('worker run', SpanKind.CONSUMER, noAttributes, () =>
        runtime.run(spec, new AbortController().signal),
      ),
    ).rejects.toBeInstanceOf(RuntimeError);

    expect(only('runtime run').status).toEqual({ code: 2, message: 'pull access denied' });
  });

  it('spans volume calls too, and nothing outside any span', async () => {
    const runtime = new TracingRuntime(new FakeRuntime(), 'docker');

    await runtime.removeLeftovers({ 'tork.node': 'gone' });
    await inSpan('worker run', SpanKind.CONSUMER, noAttributes, async () => {
      const volume = await runtime.createVolume('v1');
      await runtime.removeVolume(volume);
    });

    expect(tracer.spans().map((span) => span.name)).toEqual([
      'runtime createVolume',
      'runtime removeVolume',
      'worker run',
    ]);
    expect(only('runtime createVolume').parentSpanContext?.spanId).toBe(
      only('worker run').spanContext().spanId,
    );
  });
});
