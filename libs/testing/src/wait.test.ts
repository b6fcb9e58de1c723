import { describe, expect, it } from 'vitest';
import { deferred, must, waitUntil } from './wait.js';

describe('waitUntil', () => {
  it('resolves once the condition holds', async () => {
    let polls = 0;
    await waitUntil('the third poll', () => ++polls >= 3, { intervalMs: 1 });

    expect(polls).toBe(3);
  });

  it('rejects naming what it waited for when the time is up', async () => {
    const started = Date.now();

    await expect(waitUntil('a message', () => false, { timeoutMs: 50, intervalMs: 5 })).rejects.toThrow(
      'timed out after 50 ms waiting for a message',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});

describe('deferred', () => {
  it('settles from outside', async () => {
    const gate = deferred<string>();
    gate.resolve('open');
    await expect(gate.promise).resolves.toBe('open');

    const failing = deferred();
    failing.reject(new Error('closed'));
    await expect(failing.promise).rejects.toThrow('closed');
  });
});

describe('must', () => {
  it('returns a present value, falsy ones included, and throws on a missing one', () => {
    expect(must(0)).toBe(0);
    expect(must('')).toBe('');
    expect(() => must<string>(undefined, 'the job')).toThrow('expected the job, got undefined');
    expect(() => must<string>(null)).toThrow('expected a value, got null');
  });
});
