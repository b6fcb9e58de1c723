import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { inSpan, SpanKind, type ContainerSpec, type Logger, type RegistryAuth } from '@tork/domain';
// Test helpers are test code: adapters depend on @tork/testing from their tests only, never from src.
import {
  describeWithService,
  dockerAvailable,
  registryAvailable,
  TEST_REGISTRY,
  TEST_REGISTRY_HINT,
  withTestTracer,
} from '@tork/testing';
import { DockerRuntime } from './docker-runtime.js';
import type { PullPolicy } from './images.js';
import { registryAddress } from './images.js';
import { TracingRuntime } from './tracing-runtime.js';

const SUITE = randomUUID().slice(0, 8);
const RIGHT: RegistryAuth = { username: TEST_REGISTRY.username, password: TEST_REGISTRY.password };
const WRONG: RegistryAuth = { username: TEST_REGISTRY.username, password: `wrong-${SUITE}-secret` };

describe('registryAddress', () => {
  it('reads the registry host from an image reference as Docker does', () => {
    expect(registryAddress('127.0.0.1:5000/tork/private:latest')).toBe('127.0.0.1:5000');
    expect(registryAddress('ghcr.io/owner/image@sha256:abc')).toBe('ghcr.io');
    expect(registryAddress('localhost/image')).toBe('localhost');
    expect(registryAddress('busybox')).toBe('https://index.docker.io/v1/');
    expect(registryAddress('tork/busybox:latest')).toBe('https://index.docker.io/v1/');
  });
});

const describeRegistry = describeWithService(
  'Docker engine and the test registry',
  (await dockerAvailable()) && (await registryAvailable()),
  TEST_REGISTRY_HINT,
);

describeRegistry('authenticated pulls (real engine, local registry)', () => {
  const docker = new Docker();
  const logs: string[] = [];
  let counter = 0;

  const runtime = (pullPolicy: PullPolicy = 'missing'): DockerRuntime =>
    new DockerRuntime({ pullPolicy, logger: capture });
  // Every line logged, with its fields: a password must be in neither.
  const capture: Logger = {
    debug: (fields, message) => logs.push(message, JSON.stringify(fields)),
    info: (fields, message) => logs.push(message, JSON.stringify(fields)),
    warn: (fields, message) => logs.push(message, JSON.stringify(fields)),
    error: (fields, message) => logs.push(message, JSON.stringify(fields)),
    child: () => capture,
  };
  const spec = (registry?: RegistryAuth): ContainerSpec => ({
    name: `img-${SUITE}-${++counter}`,
    image: TEST_REGISTRY.image,
    script: 'echo -n pulled and ran',
    env: {},
    mounts: [],
    labels: { 'tork.suite': SUITE },
    ...(registry === undefined ? {} : { registry }),
  });
  const never = (): AbortSignal => new AbortController().signal;
  const removeLocalTag = async (): Promise<void> => {
    try {
      await docker.getImage(TEST_REGISTRY.image).remove();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  };
  /** Every text a failure carries: its message, its stack, and those of its causes. */
  const chainText = (error: unknown): string => {
    const parts: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '');
    return parts.join('\n');
  };
  const runFailure = async (run: Promise<unknown>): Promise<unknown> =>
    run.then(
      () => new Error('expected the run to fail'),
      (error: unknown) => error,
    );

  beforeEach(async () => {
    logs.length = 0;
    // Without the local tag every run really pulls from the registry.
    await removeLocalTag();
  });

  afterEach(async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [`tork.suite=${SUITE}`] } });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    expect(left, 'containers left behind').toEqual([]);
    expect(logs.join('\n')).not.toContain(RIGHT.password);
    expect(logs.join('\n')).not.toContain(WRONG.password);
    await removeLocalTag();
  });

  it('pulls a private image with the right password and runs it', async () => {
    const outcome = await runtime().run(spec(RIGHT), never());
    expect(outcome).toMatchObject({ exitCode: 0, result: 'pulled and ran' });
  });

  it("fails with kind 'image', and the password nowhere in the failure, with a wrong one", async () => {
    const error = await runFailure(runtime().run(spec(WRONG), never()));
    expect(error).toMatchObject({ name: 'RuntimeError', kind: 'image' });
    expect((error as Error).message).toMatch(
      /^image 127\.0\.0\.1:5000\/tork\/private:latest: not found locally and pull failed: .*unauthorized/,
    );
    expect(chainText(error)).not.toContain(WRONG.password);
    expect(JSON.stringify(error)).not.toContain(WRONG.password);
  });

  it("fails with kind 'image' without credentials", async () => {
    const error = await runFailure(runtime().run(spec(), never()));
    expect(error).toMatchObject({ name: 'RuntimeError', kind: 'image' });
    expect((error as Error).message).toContain('no basic auth credentials');
  });

  it('pulls once for concurrent runs with the same credentials', async () => {
    const shared = runtime();
    const outcomes = await Promise.all([1, 2, 3].map(() => shared.run(spec(RIGHT), never())));
    expect(outcomes.map((o) => o.result)).toEqual(['pulled and ran', 'pulled and ran', 'pulled and ran']);
    expect(logs.filter((line) => line.startsWith('pulling image'))).toEqual([
      `pulling image ${TEST_REGISTRY.image} as ${RIGHT.username}`,
    ]);
  });

  it("never lets one caller's credentials serve another's concurrent pull", async () => {
    // 'always': both pull at once whatever the timing, so a pull shared by image alone would let both run.
    const shared = runtime('always');
    const [right, wrong] = await Promise.allSettled([
      shared.run(spec(RIGHT), never()),
      shared.run(spec(WRONG), never()),
    ]);
    expect(right).toMatchObject({ status: 'fulfilled', value: { result: 'pulled and ran' } });
    expect(wrong).toMatchObject({ status: 'rejected', reason: { kind: 'image' } });
  });

  it("lends the task's credentials to a sidecar from the same registry, never to another", async () => {
    const sidecar = { name: 'private', image: TEST_REGISTRY.image, script: 'sleep 30', env: {} };
    // 'always': the sidecar's own pull needs the credentials, though the task's pull just fetched the image.
    const sameHost = await runtime('always').run(
      { ...spec(RIGHT), sidecars: [sidecar], script: 'echo -n with its sidecar' },
      never(),
    );
    expect(sameHost).toMatchObject({ exitCode: 0, result: 'with its sidecar' });
    await removeLocalTag();
    // The task's image is on Docker Hub: its credentials must not go to 127.0.0.1:5000.
    const error = await runFailure(
      runtime().run({ ...spec(RIGHT), image: 'tork/busybox:latest', sidecars: [sidecar] }, never()),
    );
    expect(error).toMatchObject({ kind: 'image' });
    expect((error as Error).message).toContain('no basic auth credentials');
    const networks = await docker.listNetworks({ filters: { label: [`tork.suite=${SUITE}`] } });
    expect(networks).toEqual([]);
  });

  it("uses a present image without checking credentials under 'missing'; 'always' checks them", async () => {
    await runtime().run(spec(RIGHT), never());
    // Documented: with the policy 'missing' whoever pulled an image made it available to every task.
    await expect(runtime('missing').run(spec(WRONG), never())).resolves.toMatchObject({ exitCode: 0 });
    const error = await runFailure(runtime('always').run(spec(WRONG), never()));
    expect(error).toMatchObject({ kind: 'image' });
    expect((error as Error).message).toMatch(/^image \S+: pull failed: .*unauthorized/);
    expect(chainText(error)).not.toContain(WRONG.password);
  });

  describe('with an OpenTelemetry SDK', () => {
    const tracer = withTestTracer();
    /** A run as a worker makes it: inside the task's own span. */
    const runInTask = (traced: TracingRuntime, registry: RegistryAuth): Promise<unknown> =>
      inSpan(
        'worker run',
        SpanKind.CONSUMER,
        () => ({}),
        () => traced.run(spec(registry), never()),
      );

    it("shows the pull each task waited for in that task's trace, its own or one under way", async () => {
      const traced = new TracingRuntime(runtime(), 'docker');
      await Promise.all([runInTask(traced, RIGHT), runInTask(traced, RIGHT)]);

      const pulls = tracer.named('runtime pull');
      expect(pulls.map((span) => span.attributes['tork.pull.joined']).sort()).toEqual([false, true]);
      for (const pull of pulls) {
        expect(pull.kind).toBe(SpanKind.CLIENT);
        expect(pull.attributes['container.image.name']).toBe(TEST_REGISTRY.image);
        expect(pull.status.code).not.toBe(SpanStatusCode.ERROR);
        expect(tracer.parentOf(pull)?.name).toBe('runtime run');
      }
      expect(new Set(pulls.map((span) => span.spanContext().traceId)).size).toBe(2);
    });

    it('marks the pull span failed when the pull fails, the password nowhere in it', async () => {
      await expect(runInTask(new TracingRuntime(runtime(), 'docker'), WRONG)).rejects.toMatchObject({
        kind: 'image',
      });

      const [pull] = tracer.named('runtime pull');
      expect(pull?.status.code).toBe(SpanStatusCode.ERROR);
      expect(pull?.status.message).toMatch(/pull failed/);
      expect(JSON.stringify(pull?.attributes)).not.toContain(WRONG.password);
      expect(pull?.status.message).not.toContain(WRONG.password);
    });
  });
});
