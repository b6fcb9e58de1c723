import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['300ms', 300],
    ['45m', 45 * 60_000],
    ['1h', 3_600_000],
    ['5s', 5_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1h30m', 5_400_000],
    ['2h45m30s', 2 * 3_600_000 + 45 * 60_000 + 30_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['0s', 0],
    [' 10s ', 10_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    '',
    '   ',
    '5',
    '10 minutes',
    '5 s',
    '1h 30m',
    '-5s',
    '+5s',
    'h',
    '1d',
    '5S',
    'abc',
    '1.2.3s',
    's5',
    '1h30',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [300, '300ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [45 * 60_000, '45m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [2 * 3_600_000 + 45 * 60_000 + 30_000, '2h45m30s'],
    [3_600_000 + 1_250, '1h1.25s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([300, 1_500, 45 * 60_000, 5_400_000, 9_045_000, 3_601_250])(
    'reads back what it writes for %d ms',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );
});
