import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addToTime, MAX_TIMER_DELAY_MS, setLongTimeout } from './long-timeout.js';

describe('setLongTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a 600h delay after 600h, not at once as setTimeout would', () => {
    const fired = vi.fn();
    setLongTimeout(fired, 600 * 3_600_000);

    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(600 * 3_600_000 - MAX_TIMER_DELAY_MS - 1001);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires a short delay on time, and a negative or missing one at once', () => {
    const short = vi.fn();
    const negative = vi.fn();
    const notANumber = vi.fn();
    setLongTimeout(short, 50);
    setLongTimeout(negative, -5);
    setLongTimeout(notANumber, Number.NaN);

    vi.advanceTimersByTime(0);
    expect(negative).toHaveBeenCalledTimes(1);
    expect(notANumber).toHaveBeenCalledTimes(1);
    expect(short).not.toHaveBeenCalled();
    vi.advanceTimersByTime(50);
    expect(short).toHaveBeenCalledTimes(1);
  });

  it('never fires once cleared, even between chained timers', () => {
    const fired = vi.fn();
    const timer = setLongTimeout(fired, 3 * MAX_TIMER_DELAY_MS);

    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 10);
    timer.clear();
    vi.advanceTimersByTime(3 * MAX_TIMER_DELAY_MS);
    expect(fired).not.toHaveBeenCalled();
  });
});

describe('addToTime', () => {
  it('adds milliseconds to an ISO time', () => {
    expect(addToTime('2026-01-01T00:00:00.000Z', 90_000)).toBe('2026-01-01T00:01:30.000Z');
  });

  it('answers undefined, never a RangeError, for times a Date cannot hold', () => {
    expect(addToTime('2026-01-01T00:00:00.000Z', 9_999_999_999 * 3_600_000)).toBeUndefined();
    expect(addToTime('not a time', 1000)).toBeUndefined();
    expect(addToTime('2026-01-01T00:00:00.000Z', Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});
