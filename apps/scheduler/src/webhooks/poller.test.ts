import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@tork/domain';
import { Poller } from './poller.js';

describe('Poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A pass that takes `ms` of the fake clock, recording when each one started. */
  function passes(ms: number): { starts: number[]; pass: () => Promise<void> } {
    const starts: number[] = [];
    const pass = () => {
      starts.push(Date.now());
      return new Promise<void>((resolve) => setTimeout(resolve, ms));
    };
    return { starts, pass };
  }

  it('runs a pass every interval, and at once when nudged while idle', async () => {
    const { starts, pass } = passes(10);
    const poller = new Poller('test', 1_000, pass, silentLogger, 50);
    const t0 = Date.now();
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual([t0]);
    await vi.advanceTimersByTimeAsync(1_010);
    expect(starts).toEqual([t0, t0 + 1_010]);
    await vi.advanceTimersByTimeAsync(100); // idle again
    poller.nudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual([t0, t0 + 1_010, t0 + 1_110]);
    await vi.advanceTimersByTimeAsync(10);
    await poller.stop();
  });

  it('gathers the nudges that come during a pass into one pass, settleMs after it ends', async () => {
    const { starts, pass } = passes(10);
    const poller = new Poller('test', 1_000, pass, silentLogger, 50);
    const t0 = Date.now();
    poller.start();
    await vi.advanceTimersByTimeAsync(5);
    for (let i = 0; i < 20; i++) poller.nudge();
    await vi.advanceTimersByTimeAsync(100);
    // The first pass ends at 10; the nudges' pass runs at 10 + 50, and only one.
    expect(starts).toEqual([t0, t0 + 60]);
    await poller.stop();
  });

  it('keeps nudges that come while it waits out settleMs for that pass, rather than running at once', async () => {
    const { starts, pass } = passes(10);
    const poller = new Poller('test', 1_000, pass, silentLogger, 50);
    const t0 = Date.now();
    poller.start();
    await vi.advanceTimersByTimeAsync(5);
    poller.nudge(); // during the first pass: the next one is due at 60
    await vi.advanceTimersByTimeAsync(15); // at 20, waiting
    poller.nudge();
    poller.nudge();
    await vi.advanceTimersByTimeAsync(30); // at 50
    expect(starts).toEqual([t0]);
    await vi.advanceTimersByTimeAsync(20);
    expect(starts).toEqual([t0, t0 + 60]);
    // That pass took every nudge before it: nothing more until the interval.
    await vi.advanceTimersByTimeAsync(500);
    expect(starts).toEqual([t0, t0 + 60]);
    await poller.stop();
  });
});
