import { describe, expect, it } from 'vitest';
import { formatSize, parseCpus, parseSize } from './size.js';

describe('parseSize', () => {
  it.each([
    ['10m', 10 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['512k', 512 * 1024],
    ['100b', 100],
    ['4096', 4096],
    ['10M', 10 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    [' 10m ', 10 * 1024 ** 2],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', '   ', '0', '0m', '-1m', '1.5g', '10mb', '10MiB', '10t', 'm', 'ten', '10 m', '.5g'])(
    'rejects %j',
    (text) => {
      expect(parseSize(text)).toBeUndefined();
    },
  );
});

describe('formatSize', () => {
  it.each([
    [10 * 1024 ** 2, '10m'],
    [1024 ** 3, '1g'],
    [3 * 1024 ** 3, '3g'],
    [1536 * 1024 ** 2, '1536m'],
    [512 * 1024, '512k'],
    [1024, '1k'],
    [1536, '1536b'],
    [100, '100b'],
    [0, '0b'],
  ])('writes %d bytes as %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it.each([100, 1024, 1536, 512 * 1024, 10 * 1024 ** 2, 5 * 1024 ** 3])(
    'reads back what it writes for %d bytes',
    (bytes) => {
      expect(parseSize(formatSize(bytes))).toBe(bytes);
    },
  );
});

describe('parseCpus', () => {
  it.each([
    ['.5', 0.5],
    ['0.5', 0.5],
    ['1.5', 1.5],
    ['2', 2],
    ['2.', 2],
    [' 1 ', 1],
    [0.25, 0.25],
    [4, 4],
  ])('reads %j as %d CPUs', (value, cpus) => {
    expect(parseCpus(value)).toBe(cpus);
  });

  it.each([
    '',
    ' ',
    '0',
    '0.0',
    '-1',
    '-.5',
    'two',
    '1e2',
    '0x10',
    '1,5',
    '1.5 cpus',
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ])('rejects %j', (value) => {
    expect(parseCpus(value)).toBeUndefined();
  });
});
