import { describe, expect, it } from 'vitest';
import { errorOf, show, valueOf } from './test-helpers.js';

describe('sequence', () => {
  it.each([
    ['sequence(1, 5)', '[1 2 3 4]'],
    ['sequence(-2, 1)', '[-2 -1 0]'],
    ['sequence(5, 2)', '[]'],
    ['sequence(2, 2)', '[]'],
    ['len(sequence(0, 100000))', '100000'],
  ])('%s is %s', (expression, expected) => {
    expect(show(expression)).toBe(expected);
  });

  it('yields an array of ints for each.list', () => {
    expect(valueOf('sequence(0, 3)')).toEqual([0, 1, 2]);
  });

  it.each([
    ['sequence(0, 100001)', 'sequence of 100001 items is longer than 100000'],
    ['sequence(0, 1000000000)', 'sequence of 1000000000 items is longer than 100000'],
    ['sequence(0, 1e9)', 'sequence: expected int, got float'],
    ['sequence("1", 3)', 'sequence: expected int, got string'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression)).message).toContain(reason);
  });
});

describe('randomInt', () => {
  it('draws ints in [0, n)', () => {
    const draws = Array.from({ length: 200 }, () => valueOf('randomInt(10)'));
    for (const draw of draws) {
      expect(Number.isInteger(draw)).toBe(true);
      expect(draw).toBeGreaterThanOrEqual(0);
      expect(draw).toBeLessThan(10);
    }
    expect(new Set(draws).size).toBeGreaterThan(1);
    expect(valueOf('randomInt(1)')).toBe(0);
  });

  it('draws a non-negative safe integer without a bound', () => {
    const draws = Array.from({ length: 50 }, () => valueOf('randomInt()'));
    for (const draw of draws) expect(Number.isSafeInteger(draw) && (draw as number) >= 0).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(45);
  });

  it('takes a bound beyond 2^53', () => {
    const big = 2n ** 62n;
    const draw = BigInt(show(`randomInt(${big})`));
    expect(draw >= 0n && draw < big).toBe(true);
  });

  it.each([
    ['randomInt(0)', 'randomInt: n must be greater than 0'],
    ['randomInt(-1)', 'randomInt: n must be greater than 0'],
    ['randomInt("5")', 'randomInt: expected int, got string'],
    ['randomInt(nil)', 'randomInt: expected int, got nil'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression)).message).toContain(reason);
  });
});

describe('fromJSON and toJSON', () => {
  it('parses JSON, every number a float as in Go', () => {
    expect(show("fromJSON('[1,2]')[1]")).toBe('2');
    expect(show('fromJSON(\'{"a": {"b": [true, null, "x"]} }\').a.b')).toBe('[true <nil> x]');
    expect(show("fromJSON('1000000')")).toBe('1e+06');
    expect(show("fromJSON('1') / 1 == 1")).toBe('true');
    expect(valueOf('fromJSON(\'{"k": [1.5, {"n": null}]}\')')).toEqual({ k: [1.5, { n: null }] });
  });

  it('reads parsed JSON of a task result', () => {
    expect(show('fromJSON(tasks.out).name', { tasks: { out: '{"name": "x"}' } })).toBe('x');
  });

  it('refuses bad JSON without quoting it', () => {
    const error = errorOf(() => show('fromJSON(secrets.pw)', { secrets: { pw: 'hunter2' } }));
    expect(error.message).toBe('cannot evaluate expression "fromJSON(secrets.pw)": fromJSON: invalid JSON');
  });

  it('bounds fromJSON input and nesting', () => {
    const long = `"${'x'.repeat(1024 * 1024)}"`;
    expect(errorOf(() => show('fromJSON(tasks.huge)', { tasks: { huge: long } })).message).toContain(
      'fromJSON: input longer than 1048576 characters',
    );
    const deep = `${'['.repeat(500)}${']'.repeat(500)}`;
    expect(errorOf(() => show('fromJSON(tasks.deep)', { tasks: { deep } })).message).toContain(
      'value nested deeper than 128 levels',
    );
  });

  it('writes JSON as Go’s MarshalIndent does', () => {
    expect(show('toJSON({b: 1, a: [1, "x", 2.5, nil, true], c: {}, d: []})')).toBe(
      '{\n  "a": [\n    1,\n    "x",\n    2.5,\n    null,\n    true\n  ],\n  "b": 1,\n  "c": {},\n  "d": []\n}',
    );
    expect(show('toJSON("<a&b>")')).toBe('"\\u003ca\\u0026b\\u003e"');
    expect(show('toJSON("line\\nquote\\"")')).toBe('"line\\nquote\\""');
    expect(show('toJSON(nil)')).toBe('null');
    expect(show('toJSON(fromJSON("1e21"))')).toBe('1e+21');
    expect(show('toJSON(0.000001)')).toBe('0.000001');
    expect(show('toJSON(9223372036854775807)')).toBe('9223372036854775807');
    expect(show('toJSON(-0.0)')).toBe('-0');
  });

  it('round-trips', () => {
    expect(show('fromJSON(toJSON({a: [1, "two"]})) == {a: [1, "two"]}')).toBe('true');
  });

  it('refuses what JSON cannot hold', () => {
    expect(errorOf(() => show('toJSON(2 ** 5000)')).message).toContain('toJSON: unsupported value Infinity');
  });
});

describe('string functions', () => {
  it.each([
    ["split('a,b', ',')", '[a b]'],
    ["split('a,b,c', ',', 2)", '[a b,c]'],
    ["split('a,b', ',', 0)", '[]'],
    ["split('a,b', ',', -1)", '[a b]'],
    ["split('abc', '')", '[a b c]'],
    ["split('abc', '', 2)", '[a bc]'],
    ["len(split('', ','))", '1'],
    ["split('a,,b,', ',')", '[a  b ]'],
    ["len('héllo')", '5'],
    ["len('😀')", '1'],
    ['len([1, 2])', '2'],
    ['len({a: 1})', '1'],
    ['len(inputs)', '2'],
    ["upper('abc é')", 'ABC É'],
    ["lower('ABC')", 'abc'],
    ["trim('  a b \\t\\n')", 'a b'],
    ["trim('\\u00a0a\\u3000')", 'a'],
    ["trim('xxaxyx', 'xy')", 'a'],
    ["trim('😀a😀', '😀')", 'a'],
    ["trim('aaa', 'a')", ''],
  ])('%s is %j', (expression, expected) => {
    expect(show(expression, { inputs: { a: '1', b: '2' } })).toBe(expected);
  });

  it.each([
    ['len(1)', 'len: invalid argument of type int'],
    ['len(nil)', 'len: invalid argument of type nil'],
    ['upper(1)', 'upper: expected string, got int'],
    ['lower(nil)', 'lower: expected string, got nil'],
    ['trim([1])', 'trim: expected string, got array'],
    ["trim('a', 1)", 'trim: expected string, got int'],
    ["split(1, ',')", 'split: expected string, got int'],
    ["split('a', ',', 'x')", 'split: expected int, got string'],
    ["split(toJSON(sequence(0, 60000)), '')", 'array longer than 100000 items'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression)).message).toContain(reason);
  });
});
