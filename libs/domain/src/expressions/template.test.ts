import { describe, expect, it } from 'vitest';
import { compileTemplate } from './template.js';
import { errorOf } from './test-helpers.js';

describe('the example jobs', () => {
  it('renders the each list of sequence(1,5)', () => {
    const list = compileTemplate('{{ sequence(1,5) }}');
    expect(list.render({})).toBe('[1 2 3 4]');
    expect(list.evaluate({})).toEqual([1, 2, 3, 4]);
  });

  it('names each task by its loop index and passes its value', () => {
    const scope = { item: { index: '0', value: 1 } };
    expect(compileTemplate('eachTask{{item.index}}').render(scope)).toBe('eachTask0');
    expect(compileTemplate('{{item.value}}').render(scope)).toBe('1');
    expect(compileTemplate('eachTask{{myitem.index}}').render({ myitem: { index: '3', value: 4 } })).toBe(
      'eachTask3',
    );
  });

  it('reads task results as the job output', () => {
    expect(compileTemplate('{{ tasks.hello }}').render({ tasks: { hello: 'hello world' } })).toBe(
      'hello world',
    );
    expect(compileTemplate('hello {{ tasks.randomNumber }}').render({ tasks: { randomNumber: '42' } })).toBe(
      'hello 42',
    );
  });

  it('chooses with a ternary over inputs', () => {
    const template = compileTemplate("{{ inputs.x == 'a' ? 'yes' : 'no' }}");
    expect(template.render({ inputs: { x: 'a' } })).toBe('yes');
    expect(template.render({ inputs: { x: 'b' } })).toBe('no');
  });

  it('indexes parsed JSON and splits strings', () => {
    expect(compileTemplate("{{ fromJSON('[1,2]')[1] }}").render({})).toBe('2');
    expect(compileTemplate("{{ split('a,b', ',') }}").render({})).toBe('[a b]');
  });

  it('renders an if that is exactly false', () => {
    expect(compileTemplate("{{ inputs.run == 'yes' }}").render({ inputs: { run: 'no' } })).toBe('false');
  });
});

describe('templates', () => {
  it('returns text without tags unchanged', () => {
    const template = compileTemplate('echo {{ not a tag } and {x}');
    expect(template.hasExpressions).toBe(false);
    expect(template.render({})).toBe('echo {{ not a tag } and {x}');
    expect(template.evaluate({})).toBe('echo {{ not a tag } and {x}');
  });

  it('replaces every tag and keeps the text around them', () => {
    const template = compileTemplate('a{{1}}b{{  2 + 3  }}c{{"{"}}');
    expect(template.hasExpressions).toBe(true);
    expect(template.render({})).toBe('a1b5c{');
  });

  it('evaluates a lone expression to its raw value, blanks around it aside', () => {
    expect(compileTemplate('  {{ [1, "a", nil, {k: true}] }}\n').evaluate({})).toEqual([
      1,
      'a',
      null,
      { k: true },
    ]);
    expect(compileTemplate('x{{ [1] }}').evaluate({})).toBe('x[1]');
    expect(compileTemplate('{{ 1 }}{{ 2 }}').evaluate({})).toBe('12');
  });

  it('ends a tag at the first }} as Tork does, and does not cross lines', () => {
    expect(compileTemplate('{{ 1 +\n 2 }}').render({})).toBe('{{ 1 +\n 2 }}');
    expect(compileTemplate('{{ 1 }}\n}}').render({})).toBe('1\n}}');
    expect(errorOf(() => compileTemplate('{{ "}}" }}')).message).toContain('unterminated string');
  });

  it('reports a syntax error with the expression and its column', () => {
    expect(errorOf(() => compileTemplate('x {{ 1 + }} y')).message).toBe(
      'invalid expression "1 +" at column 4: unexpected end of expression',
    );
    expect(errorOf(() => compileTemplate('{{ }}')).message).toContain('empty expression');
  });

  it('reports an evaluation error naming the expression', () => {
    const template = compileTemplate('{{ 1 }} and {{ tasks.x / 0 }}');
    expect(errorOf(() => template.render({ tasks: { x: 1 } })).message).toBe(
      'cannot evaluate expression "tasks.x / 0": division by zero',
    );
    expect(errorOf(() => compileTemplate('{{ nope }}').evaluate({})).message).toBe(
      'cannot evaluate expression "nope": unknown name nope',
    );
  });

  it('refuses a scope that is not a map', () => {
    const template = compileTemplate('{{ 1 }}');
    expect(errorOf(() => template.render(null as never)).message).toContain('the scope must be a map');
  });

  it('compiles a text once and reuses it', () => {
    expect(compileTemplate('{{ item.value }}!')).toBe(compileTemplate('{{ item.value }}!'));
  });

  it('bounds the rendered text', () => {
    const template = compileTemplate('{{ tasks.huge }}{{ tasks.huge }}');
    const big = 'x'.repeat(600 * 1024);
    expect(errorOf(() => template.render({ tasks: { huge: big } })).message).toContain(
      'result longer than 1048576',
    );
  });
});

describe('template input', () => {
  it('refuses a template that is not a string', () => {
    expect(errorOf(() => compileTemplate(undefined as never)).message).toBe(
      'a template is a string, got undefined',
    );
  });
});

describe('the README examples', () => {
  it('renders them as documented', () => {
    const scope = { inputs: { greeting: 'hello' }, item: { index: '0', value: 1 } };
    expect(compileTemplate('say {{ inputs.greeting }}').render(scope)).toBe('say hello');
    expect(compileTemplate('{{ sequence(1, 5) }}').evaluate(scope)).toEqual([1, 2, 3, 4]);
    expect(compileTemplate('item {{ item.index }}').render(scope)).toBe('item 0');
    expect(compileTemplate('{{ item.value * 10 }}').render(scope)).toBe('10');
    expect(compileTemplate("{{ upper(inputs.greeting) + '!' }}").render(scope)).toBe('HELLO!');
    expect(compileTemplate('{{ {a: {b: 1} } }}').render(scope)).toBe('map[a:map[b:1]]');
    expect(compileTemplate('{{ !true && false }}').render(scope)).toBe('false');
    expect(errorOf(() => compileTemplate('{{ item.value / 0 }}').render(scope)).message).toBe(
      'cannot evaluate expression "item.value / 0": division by zero',
    );
  });
});
