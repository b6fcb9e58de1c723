import { describe, expect, it } from 'vitest';
import { TorkError } from '../errors.js';
import { formatFloat, formatValue } from './format.js';
import { show } from './test-helpers.js';

describe("formatValue is Go's %v", () => {
  it.each([
    ['text', 'text'],
    [42, '42'],
    [2.5, '2.5'],
    [true, 'true'],
    [false, 'false'],
    [null, '<nil>'],
    [[1, 'a b', null, [2]], '[1 a b <nil> [2]]'],
    [[], '[]'],
    [{ b: 2, a: 1 }, 'map[a:1 b:2]'],
    [{ a: [1, { c: 'x' }] }, 'map[a:[1 map[c:x]]]'],
    [{}, 'map[]'],
  ])('%j → %j', (value, expected) => {
    expect(formatValue(value)).toBe(expected);
  });

  it('sorts map keys by code point', () => {
    expect(formatValue({ b: 1, B: 2, a: 3, '😀': 4, '\uffff': 5 })).toBe('map[B:2 a:3 b:1 \uffff:5 😀:4]');
  });
});

describe("formatFloat is Go's shortest %g", () => {
  it.each([
    [2, '2'],
    [2.5, '2.5'],
    [-2.5, '-2.5'],
    [0.1, '0.1'],
    [123456, '123456'],
    [123456.5, '123456.5'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [5e-324, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [0, '0'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%d → %s', (value, expected) => {
    expect(formatFloat(value)).toBe(expected);
  });

  it('formats ints as digits however large, and floats from arithmetic as Go does', () => {
    expect(show('9007199254740993')).toBe('9007199254740993');
    expect(show('4 / 2')).toBe('2');
    expect(show('1e21')).toBe('1e+21');
    expect(show('2 ** 64')).toBe('1.8446744073709552e+19');
    expect(show('[0.5, 1.0]')).toBe('[0.5 1]');
  });
});

describe('formatValue failures', () => {
  it('throws TorkError for what it cannot format', () => {
    const fn = (() => 1) as unknown as string;
    expect(() => formatValue([fn])).toThrow(TorkError);
    expect(() => formatValue([fn])).toThrow('cannot format value: unsupported value (a function)');
    expect(() => formatValue('x'.repeat(2 * 1024 * 1024))).toThrow('result longer than 1048576 characters');
  });
});
