import { describe, expect, it } from 'vitest';
import { Waker } from './notices.js';

const MINUTE = 60_000;
const never = new Promise<void>(() => undefined);

describe('Waker', () => {
  it('wakes a wait at the next notice, and a wait after an unread notice at once', async () => {
    const waker = new Waker(never);
    const waiting = waker.wait(MINUTE);
    waker.notify();
    await waiting;
    waker.notify();
    await waker.wait(MINUTE);
  });

  it('wakes when the poll interval passes without a notice', async () => {
    const waker = new Waker(never);
    const started = Date.now();
    await waker.wait(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('wakes the wait under way once its reader is gone, and every later one at once', async () => {
    let leave: () => void = () => undefined;
    const waker = new Waker(new Promise<void>((resolve) => (leave = resolve)));
    const waiting = waker.wait(MINUTE);
    leave();
    await waiting;
    expect(waker.gone).toBe(true);
    await waker.wait(MINUTE);
    await waker.wait(MINUTE);
  });
});
