import { isRuntimeError, type ContainerSpec } from '@tork/domain';
import { expect, it } from 'vitest';
import { FakeRuntime } from './fake-runtime.js';

const spec = (fields: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'task',
  image: 'busybox',
  env: {},
  mounts: [],
  ...fields,
});

it('answers each run as its script says, passing output and progress on, and keeps the specs', async () => {
  const output: string[] = [];
  const progress: number[] = [];
  const runtime = new FakeRuntime({
    script: (_, call) => ({
      exitCode: call,
      output: [{ stream: 'stdout', text: `run ${call}` }],
      progress: [10, 90],
    }),
  });
  const first = await runtime.run(
    spec({ onOutput: (chunk) => output.push(chunk.text), onProgress: (p) => progress.push(p) }),
    new AbortController().signal,
  );
  const second = await runtime.run(spec({ name: 'other' }), new AbortController().signal);
  expect([first.exitCode, first.result, second.exitCode, second.result]).toEqual([0, 'run 0', 1, 'run 1']);
  expect(output).toEqual(['run 0']);
  expect(progress).toEqual([10, 90]);
  expect(runtime.specs.map((s) => s.name)).toEqual(['task', 'other']);
});

it('rejects with the signal’s reason when aborted during its delay', async () => {
  const runtime = new FakeRuntime({ script: () => ({ delayMs: 10_000 }) });
  const controller = new AbortController();
  const run = runtime.run(spec(), controller.signal);
  controller.abort(new Error('stop'));
  await expect(run).rejects.toThrow('stop');
});

it('fails asynchronously with a RuntimeError of the scripted kind', async () => {
  const runtime = new FakeRuntime({ script: () => ({ error: { kind: 'runtime' } }) });
  const run = runtime.run(spec(), new AbortController().signal);
  const error: unknown = await run.catch((caught: unknown) => caught);
  expect(isRuntimeError(error) && error.kind).toBe('runtime');
  expect((error as Error).message).toBe('engine unavailable');
});

it('refuses a field its features lack before running anything', async () => {
  const runtime = new FakeRuntime({ features: { gpus: false, mounts: ['volume'] } });
  const error: unknown = await runtime
    .run(spec({ gpus: 'all', mounts: [{ type: 'tmpfs', target: '/t' }] }), new AbortController().signal)
    .catch((caught: unknown) => caught);
  expect(isRuntimeError(error) && error.kind).toBe('rejected');
  expect((error as Error).message).toBe('this runtime cannot honour gpus, a tmpfs mount');
});

it('fails its health check when told to, until it recovers', async () => {
  const runtime = new FakeRuntime();
  runtime.failHealth('down for maintenance');
  await expect(runtime.healthCheck()).rejects.toThrow('down for maintenance');
  runtime.recover();
  await expect(runtime.healthCheck()).resolves.toBeUndefined();
});
