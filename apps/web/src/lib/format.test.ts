import { describe, expect, it } from 'vitest';
import { elapsed, formatAge, formatDuration } from './format.js';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [450, '450 ms'],
    [1234, '1.2 s'],
    [42_000, '42 s'],
    [184_000, '3 m 04 s'],
    [7_500_000, '2 h 05 m'],
    [3 * 86_400_000 + 3_600_000, '3 d 1 h'],
    [-5, '–'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('elapsed', () => {
  const start = '2026-01-01T00:00:00.000Z';

  it('measures to the end, or to now while running, and nothing before the start', () => {
    expect(elapsed(start, '2026-01-01T00:00:02.500Z', 0)).toBe(2500);
    expect(elapsed(start, undefined, Date.parse(start) + 700)).toBe(700);
    expect(elapsed(undefined, undefined, 0)).toBeUndefined();
  });

  it('gives the age of a heartbeat', () => {
    expect(formatAge(start, Date.parse(start) + 4200)).toBe('4.2 s ago');
    expect(formatAge(start, Date.parse(start) + 10)).toBe('just now');
  });
});
