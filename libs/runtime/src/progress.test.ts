import { describe, expect, it } from 'vitest';
import { parseProgress } from './progress.js';

describe('parseProgress', () => {
  it.each([
    ['10', 10],
    ['50\n', 50],
    [' 33.5 ', 33.5],
    ['.5', 0.5],
    ['100', 100],
    ['150', 100],
    ['-3', 0],
    ['42%', 42],
  ])('reads %j as %d', (text, value) => {
    expect(parseProgress(text)).toBe(value);
  });

  it.each(['', 'half', '10 20', '1e3', 'NaN', '0x10', '5..5'])('ignores junk %j', (text) => {
    expect(parseProgress(text)).toBeUndefined();
  });
});
