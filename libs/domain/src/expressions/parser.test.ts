import { describe, expect, it } from 'vitest';
import { compileTemplate } from './template.js';
import { errorOf } from './test-helpers.js';

function syntaxError(expression: string): string {
  return errorOf(() => compileTemplate(`{{ ${expression} }}`)).message;
}

describe('syntax errors name the expression, the column and the reason', () => {
  it.each([
    ['1 +', 'at column 4: unexpected end of expression'],
    ['(1', 'at column 3: unexpected end of expression, expected ")"'],
    ['a b', 'at column 3: unexpected "b"'],
    ['1 = 2', 'at column 3: unexpected character "="'],
    ['1 | 2', 'unexpected character "|"'],
    ['"abc', 'at column 1: unterminated string'],
    ['`abc', 'unterminated string'],
    ['"\\q"', 'invalid escape \\q'],
    ['"\\u12"', 'invalid escape \\u12'],
    ['99999999999999999999', 'integer literal 99999999999999999999 is too large'],
    ['12abc', 'invalid number "12a"'],
    ['1e', 'invalid number'],
    ['foo(1)', 'at column 1: unknown function foo'],
    ['constructor(1)', 'unknown function constructor'],
    ['len()', 'len takes 1 arguments, got 0'],
    ['split("a")', 'split takes 2 to 3 arguments, got 1'],
    ['sequence(1, 2, 3)', 'sequence takes 2 arguments, got 3'],
    ['inputs.x()', 'only the built-in functions can be called'],
    ['inputs.toString()', 'only the built-in functions can be called'],
    ['(len)(1)', 'unexpected "("'],
    ['{1: 2}', 'a map key is a name or a string'],
    ['[1 2]', 'expected "," or "]"'],
    ['a.', 'expected a name after "."'],
    ['a.1', 'expected a name after "."'],
    ['true ? 1', 'expected ":"'],
    ['1 not 2', 'unexpected "not"'],
    ['in', 'unexpected "in"'],
    ['a[1', 'expected "]" or ":"'],
  ])('%s', (expression, reason) => {
    const message = syntaxError(expression);
    expect(message).toContain(`invalid expression ${JSON.stringify(expression)}`);
    expect(message).toContain(reason);
  });

  it('bounds the source length', () => {
    expect(syntaxError(`"${'x'.repeat(5000)}"`)).toContain('expression longer than 4096 characters');
  });

  it('bounds the nesting depth of the tree', () => {
    expect(() => compileTemplate(`{{ ${'('.repeat(60)}1${')'.repeat(60)} }}`)).not.toThrow();
    expect(syntaxError(`${'('.repeat(70)}1${')'.repeat(70)}`)).toContain(
      'nested too deeply (more than 64 levels)',
    );
    expect(syntaxError(`${'-'.repeat(100)}1`)).toContain('nested too deeply');
    expect(syntaxError(Array.from({ length: 100 }, () => '1').join(' + '))).toContain('nested too deeply');
    expect(syntaxError(`x${'.a'.repeat(100)}`)).toContain('nested too deeply');
    expect(syntaxError(`${'['.repeat(1000)}${']'.repeat(1000)}`)).toContain('nested too deeply');
  });

  it('reads `?.5` as a ternary with a float', () => {
    expect(compileTemplate('{{ true ?.5 : 1 }}').render({})).toBe('0.5');
  });

  it('reads names with letters of any script', () => {
    expect(compileTemplate('{{ inputs.città }}').render({ inputs: { città: 'Roma' } })).toBe('Roma');
  });
});
