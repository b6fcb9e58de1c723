import { describe, expect, it } from 'vitest';
import { errorOf, show, valueOf } from './test-helpers.js';

describe('literals', () => {
  it.each([
    ['42', '42'],
    ['1_000', '1000'],
    ['0x1F', '31'],
    ['1.5', '1.5'],
    ['.5', '0.5'],
    ['1e3', '1000'],
    ['2.0', '2'],
    ['"double"', 'double'],
    ["'single'", 'single'],
    ['`raw \\n`', 'raw \\n'],
    ['"tab\\tnew\\nquote\\"\\\'back\\\\"', 'tab\tnew\nquote"\'back\\'],
    ['"\\u00e9\\x41"', 'éA'],
    ['true', 'true'],
    ['false', 'false'],
    ['nil', '<nil>'],
    ['[1, "a", [true]]', '[1 a [true]]'],
    ['[1, 2,]', '[1 2]'],
    ['[]', '[]'],
    ['{a: 1, "b c": 2}', 'map[a:1 b c:2]'],
    ['{}', 'map[]'],
  ])('%s renders as %j', (expression, expected) => {
    expect(show(expression)).toBe(expected);
  });
});

describe('arithmetic keeps ints and floats apart, as expr-lang does', () => {
  it.each([
    ['1 + 2', '3'],
    ['5 - 7', '-2'],
    ['6 * 7', '42'],
    ['7 / 2', '3.5'],
    ['4 / 2', '2'],
    ['7 % 3', '1'],
    ['-7 % 3', '-1'],
    ['2 ** 10', '1024'],
    ['2 ^ 3', '8'],
    ['2 ** 0.5', '1.4142135623730951'],
    ['1.5 + 1', '2.5'],
    ['.5 + .5', '1'],
    ['0.1 + 0.2', '0.30000000000000004'],
    ['3000000 / 2', '1.5e+06'],
    ['1000000 * 1000000', '1000000000000'],
    ['9223372036854775807 + 1', '-9223372036854775808'],
    ['-3', '-3'],
    ['+3', '3'],
    ['- -3', '3'],
    ['-1.5', '-1.5'],
  ])('%s = %s', (expression, expected) => {
    expect(show(expression)).toBe(expected);
  });

  it('returns ints and floats as numbers', () => {
    expect(valueOf('7 / 2')).toBe(3.5);
    expect(valueOf('2 * 21')).toBe(42);
  });

  it('concatenates strings and arrays with +', () => {
    expect(show('"a" + "b"')).toBe('ab');
    expect(show('[1] + [2, 3]')).toBe('[1 2 3]');
    expect(valueOf('item.value + [3]', { item: { index: '0', value: [1, 2] } })).toEqual([1, 2, 3]);
  });

  it.each([
    ['1 / 0', 'division by zero'],
    ['1.5 / 0.0', 'division by zero'],
    ['1 % 0', 'modulo by zero'],
    ['1.5 % 2', 'invalid operation: float % int'],
    ['"a" + 1', 'invalid operation: string + int'],
    ['[1] + "a"', 'invalid operation: array + string'],
    ['nil * 2', 'invalid operation: nil * int'],
    ['-"a"', 'invalid operation: -string'],
    ['+true', 'invalid operation: +bool'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression)).message).toContain(reason);
  });
});

describe('comparison', () => {
  it.each([
    ['1 == 1.0', 'true'],
    ['1 != 2', 'true'],
    ['1 < 1.5', 'true'],
    ['2 >= 2', 'true'],
    ['2 > 2.5', 'false'],
    ['"a" < "b"', 'true'],
    ['"b" <= "a"', 'false'],
    ['"abc" > "ab"', 'true'],
    ['"\uffff" < "\ud83d\ude00"', 'true'],
    ['1 == "1"', 'false'],
    ['nil == nil', 'true'],
    ['nil == false', 'false'],
    ['[1, [2]] == [1.0, [2]]', 'true'],
    ['[1, 2] == [2, 1]', 'false'],
    ['{a: 1, b: [2]} == {b: [2], a: 1.0}', 'true'],
    ['{a: 1} == {a: 1, b: 2}', 'false'],
    ['{a: nil} == {b: nil}', 'false'],
  ])('%s is %s', (expression, expected) => {
    expect(show(expression)).toBe(expected);
  });

  it.each([
    ['"a" < 1', 'invalid operation: string < int'],
    ['[1] > [0]', 'invalid operation: array > array'],
    ['nil >= 1', 'invalid operation: nil >= int'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression)).message).toContain(reason);
  });
});

describe('logic', () => {
  it.each([
    ['true && false', 'false'],
    ['true and true', 'true'],
    ['false || true', 'true'],
    ['false or false', 'false'],
    ['!true', 'false'],
    ['not false', 'true'],
    ['false && nope', 'false'],
    ['true || nope', 'true'],
    ['true ? 1 : 2', '1'],
    ['false ? 1 : 2', '2'],
    ['false ? 1 : true ? 2 : 3', '2'],
    ['nil ?? "d"', 'd'],
    ['"v" ?? "d"', 'v'],
    ['false ?? "d"', 'false'],
    ['{}.missing ?? "d"', 'd'],
  ])('%s is %s', (expression, expected) => {
    expect(show(expression)).toBe(expected);
  });

  it.each([
    ['1 && true', '&& needs bool operands, got int'],
    ['false || "x"', '|| needs bool operands, got string'],
    ['!nil', '! needs bool operands, got nil'],
    ['1 ? 2 : 3', 'the condition of ?: must be bool, got int'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression)).message).toContain(reason);
  });
});

describe('in and not in', () => {
  it.each([
    ['2 in [1, 2]', 'true'],
    ['2.0 in [1, 2]', 'true'],
    ['"2" in [1, 2]', 'false'],
    ['[1] in [[1], [2]]', 'true'],
    ['"a" in {a: 1}', 'true'],
    ['"a" in {a: nil}', 'true'],
    ['"b" in {a: 1}', 'false'],
    ['"b" not in {a: 1}', 'true'],
    ['3 not in [1, 2]', 'true'],
    ['1 in nil', 'false'],
    ['"x" in inputs', 'true'],
  ])('%s is %s', (expression, expected) => {
    expect(show(expression, { inputs: { x: 'y' } })).toBe(expected);
  });

  it.each([
    ['1 in "abc"', 'invalid operation: int in string'],
    ['1 in {a: 1}', 'invalid operation: int in map'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression)).message).toContain(reason);
  });
});

describe('precedence follows expr-lang', () => {
  it.each([
    ['1 + 2 * 3', '7'],
    ['(1 + 2) * 3', '9'],
    ['10 - 4 - 3', '3'],
    ['2 ** 3 ** 2', '512'],
    ['-2 ** 2', '-4'],
    ['10 / 4 * 2', '5'],
    ['not true == false', 'true'],
    ['nil ?? 1 + 1', '2'],
    ['1 + 2 == 3 && "a" < "b"', 'true'],
    ['true || false && false', 'true'],
    ['1 < 2 == true', 'true'],
    ['true ? 1 : 2 + 10', '1'],
    ['1 in [1] && 2 not in [1]', 'true'],
  ])('%s = %s', (expression, expected) => {
    expect(show(expression)).toBe(expected);
  });
});

describe('member, index and slice', () => {
  const scope = {
    inputs: { x: 'a', 'with space': 'b' },
    tasks: {},
    job: { id: 'j1', name: 'my job' },
    item: { index: '2', value: { list: [10, 20, 30], text: 'héllo' } },
  };

  it.each([
    ['job.name', 'my job'],
    ['inputs["with space"]', 'b'],
    ['item.value.list[0]', '10'],
    ['item.value.list[-1]', '30'],
    ['item.value.list[1:]', '[20 30]'],
    ['item.value.list[:2]', '[10 20]'],
    ['item.value.list[-2:]', '[20 30]'],
    ['item.value.list[1:10]', '[20 30]'],
    ['item.value.list[2:1]', '[]'],
    ['item.value.list[:]', '[10 20 30]'],
    ['item.value.text[1]', 'é'],
    ['item.value.text[1:3]', 'él'],
    ['item.value.text[-2:]', 'lo'],
    ['item.value.list[fromJSON("1")]', '20'],
    ['inputs.missing', '<nil>'],
    ['tasks.missing', '<nil>'],
    ['inputs?.x', 'a'],
    ['inputs.missing?.deeper.still', '<nil>'],
    ['inputs.missing?.[0]', '<nil>'],
    ['{a: {b: 1} }.a.b', '1'],
    ['{a: [{b: "deep"}] }.a[0].b', 'deep'],
  ])('%s is %s', (expression, expected) => {
    expect(show(expression, scope)).toBe(expected);
  });

  it.each([
    ['inputs.missing.deeper', 'cannot read "deeper" of nil'],
    ['(inputs?.missing).deeper', 'cannot read "deeper" of nil'],
    ['inputs.x.y', 'cannot read "y" of string'],
    ['item.value.list.first', 'cannot read "first" of array'],
    ['item.value.list[3]', 'index 3 out of range (length 3)'],
    ['item.value.list[-4]', 'index -4 out of range (length 3)'],
    ['item.value.list["0"]', 'an index must be an int, got string'],
    ['item.value.list[0.5]', 'an index must be an int, got float'],
    ['inputs[1]', 'a map key must be a string, got int'],
    ['nil[0]', 'cannot index nil'],
    ['true[0]', 'cannot index bool'],
    ['1[0:1]', 'cannot slice int'],
    ['item.value.list[0:"a"]', 'a slice bound must be an int'],
    ['x', 'unknown name x'],
  ])('%s fails: %s', (expression, reason) => {
    expect(errorOf(() => show(expression, scope)).message).toContain(reason);
  });
});
