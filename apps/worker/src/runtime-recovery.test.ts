import { silentLogger } from '@tork/domain';
import { describe, expect, it } from 'vitest';
import { RuntimeRecovery } from './runtime-recovery.js';

/** A runtime whose health the test sets, and a worker's work subscriptions reduced to a flag. */
function setup(options: { resume?: () => Promise<void> } = {}) {
  const state = { down: 'engine gone' as string | undefined, taking: true };
  const recovery = new RuntimeRecovery({
    runtime: {
      healthCheck: () =>
        state.down === undefined ? Promise.resolve() : Promise.reject(new Error(state.down)),
    },
    logger: silentLogger,
    closeWork: () => {
      state.taking = false;
      return Promise.resolve();
    },
    resumeWork:
      options.resume ??
      (() => {
        state.taking = true;
        return Promise.resolve();
      }),
    pollIntervalMs: 5,
  });
  return { state, recovery };
}

describe('runtime recovery', () => {
  it('takes no tasks and reports unhealthy, with the latest reason, until the runtime answers', async () => {
    const { state, recovery } = setup();
    recovery.pause('container create failed');
    expect(state.taking).toBe(false);
    await expect(recovery.healthCheck()).rejects.toThrow('runtime unavailable: container create failed');
    await waitFor(() => recovery.unavailable === 'engine gone');
    await expect(recovery.healthCheck()).rejects.toThrow('runtime unavailable: engine gone');

    state.down = undefined;
    await waitFor(() => state.taking);
    await recovery.settled();
    await expect(recovery.healthCheck()).resolves.toBeUndefined();
  });

  it('never resumes taking tasks once stopped', async () => {
    const { state, recovery } = setup();
    recovery.pause('engine gone');
    recovery.stop();
    state.down = undefined;
    await recovery.settled();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(state.taking).toBe(false);
  });

  it('stays unhealthy for good when it cannot take tasks again', async () => {
    const { state, recovery } = setup({ resume: () => Promise.reject(new Error('queue gone')) });
    recovery.pause('engine gone');
    state.down = undefined;
    await recovery.settled();
    await expect(recovery.healthCheck()).rejects.toThrow(
      'runtime unavailable: could not take tasks again: queue gone',
    );
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
