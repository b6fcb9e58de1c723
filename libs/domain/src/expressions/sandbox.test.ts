import { describe, expect, it } from 'vitest';
import { compileTemplate } from './template.js';
import { errorOf, show, valueOf } from './test-helpers.js';

const scope = { inputs: { x: 'a' }, secrets: { pw: 'hunter2' }, tasks: {}, job: { id: 'j', name: 'n' } };

describe('the sandbox', () => {
  it.each([
    'inputs.constructor',
    'inputs.__proto__',
    'inputs.prototype',
    'inputs.toString',
    'inputs.hasOwnProperty',
    'inputs["__proto__"]',
    'inputs["constructor"]',
    'job.__defineGetter__',
  ])('treats %s as a missing key', (expression) => {
    expect(show(expression, scope)).toBe('<nil>');
  });

  it.each([
    ['constructor', 'unknown name constructor'],
    ['__proto__', 'unknown name __proto__'],
    ['toString', 'unknown name toString'],
    ['process', 'unknown name process'],
    ['globalThis', 'unknown name globalThis'],
    ['this', 'unknown name this'],
    ['"".constructor', 'cannot read "constructor" of string'],
    ['[].constructor', 'cannot read "constructor" of array'],
    ['sequence(0, 1).constructor', 'cannot read "constructor" of array'],
    ['(1).constructor', 'cannot read "constructor" of int'],
  ])('refuses %s', (expression, reason) => {
    expect(errorOf(() => show(expression, scope)).message).toContain(reason);
  });

  it.each([
    'inputs.constructor.constructor("return process")()',
    'len.constructor',
    'eval("1")',
    'Function("return 1")',
  ])('cannot call anything but the built-in functions: %s', (expression) => {
    errorOf(() => show(expression, scope));
  });

  it('keeps __proto__ keys as data and leaves Object.prototype alone', () => {
    expect(show('{__proto__: {polluted: 1} }.__proto__.polluted')).toBe('1');
    expect(show('fromJSON(\'{"__proto__": {"polluted": 1} }\').__proto__.polluted')).toBe('1');
    const result = valueOf('fromJSON(\'{"__proto__": {"polluted": 1}, "constructor": 2}\')') as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads an own __proto__ key of the caller’s data as data', () => {
    const data = JSON.parse('{"__proto__": "own"}') as Record<string, string>;
    expect(show('inputs.__proto__', { inputs: data })).toBe('own');
  });

  it('refuses what is not plain data in the scope and never runs it', () => {
    let ran = false;
    const withGetter = {};
    Object.defineProperty(withGetter, 'x', {
      enumerable: true,
      get: () => {
        ran = true;
        return 'secret';
      },
    });
    const hostile = {
      fn: () => 'called',
      date: new Date(0),
      instance: new (class Thing {
        readonly field = 1;
      })(),
      getter: withGetter,
    } as unknown as Record<string, string>;
    expect(errorOf(() => show('tasks.fn', { tasks: hostile })).message).toContain(
      'unsupported value (a function)',
    );
    expect(errorOf(() => show('tasks.date', { tasks: hostile })).message).toContain(
      'unsupported value (an object that is not plain data)',
    );
    expect(errorOf(() => show('tasks.instance', { tasks: hostile })).message).toContain('unsupported value');
    expect(errorOf(() => show('tasks.getter.x', { tasks: hostile })).message).toContain(
      'unsupported value at "x" (a getter, not data)',
    );
    expect(errorOf(() => show('tasks', { tasks: hostile })).message).toContain('unsupported value');
    expect(ran).toBe(false);
  });

  it('reads Maps as maps, by string key only', () => {
    const tasks = new Map<unknown, unknown>([
      ['a', 1],
      [2, 'not a string key'],
    ]) as unknown as Record<string, string>;
    expect(show('tasks.a', { tasks })).toBe('1');
    expect(show('tasks', { tasks })).toBe('map[a:1]');
    expect(show('tasks.constructor', { tasks })).toBe('<nil>');
  });

  it('never changes the scope', () => {
    const frozen = Object.freeze({
      inputs: Object.freeze({ x: 'a' }),
      item: Object.freeze({ index: '0', value: Object.freeze([1, 2]) }),
    });
    expect(show('item.value + [3]', frozen)).toBe('[1 2 3]');
    expect(show('{a: inputs}.a.x', frozen)).toBe('a');
    expect(frozen.item.value).toEqual([1, 2]);
  });

  it('does not quote a secret in an error', () => {
    for (const expression of [
      'secrets.pw + 1',
      'secrets.pw.x',
      'secrets.pw[99]',
      'fromJSON(secrets.pw)',
      'upper(secrets.pw) * 2',
    ]) {
      expect(errorOf(() => show(expression, scope)).message).not.toContain('hunter2');
    }
  });
});

describe('bounds', () => {
  it('bounds strings', () => {
    expect(
      errorOf(() => show("len(tasks.huge + tasks.huge + 'x')", { tasks: { huge: 'x'.repeat(512 * 1024) } }))
        .message,
    ).toContain('string longer than 1048576 characters');
  });

  it('bounds arrays', () => {
    expect(errorOf(() => show('sequence(0, 60000) + sequence(0, 60000)')).message).toContain(
      'array longer than 100000 items',
    );
  });

  it('bounds a rendering before it is built', () => {
    expect(errorOf(() => show('[x, x]', { x: 'y'.repeat(600 * 1024) })).message).toContain(
      'result longer than 1048576',
    );
    const wide = `[${Array.from({ length: 1000 }, () => 'x').join(', ')}]`;
    const started = Date.now();
    expect(errorOf(() => show(wide, { x: 'y'.repeat(100_000) })).message).toContain('result longer');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('bounds a raw result', () => {
    const many = `[${Array.from({ length: 12 }, () => 'sequence(0, 100000)').join(', ')}]`;
    expect(errorOf(() => compileTemplate(`{{ ${many} }}`).evaluate({})).message).toMatch(
      /exceeds its budget|more than 1000000 values/,
    );
  });

  it('stops an evaluation that exceeds its step budget', () => {
    const pair = 'sequence(0, 99999) == sequence(0, 99999)';
    const expression = Array.from({ length: 8 }, () => pair).join(' && ');
    expect(errorOf(() => show(expression)).message).toContain(
      'evaluation exceeds its budget of 100000 steps',
    );
  });

  it('bounds nesting of the caller’s data', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(errorOf(() => show('tasks.deep', { tasks: { deep } as never })).message).toContain(
      'value nested deeper than 128 levels',
    );
  });
});
