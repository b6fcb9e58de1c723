import { describe, expect, it } from 'vitest';
import { NoopRuntime } from './noop-runtime.js';

describe('NoopRuntime', () => {
  it('completes every container at once with an empty result', async () => {
    const runtime = new NoopRuntime();
    const outcome = await runtime.run(
      { name: 'n', image: 'anything', env: {}, mounts: [] },
      new AbortController().signal,
    );
    expect(outcome).toEqual({ exitCode: 0, result: '', tail: '', oomKilled: false });
  });

  it('honours an abort that came first', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(
      new NoopRuntime().run({ name: 'n', image: 'x', env: {}, mounts: [] }, controller.signal),
    ).rejects.toThrow('cancelled');
  });
});
