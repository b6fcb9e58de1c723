import { TorkError } from '../errors.js';
import type { Node } from './ast.js';
import { Budget } from './budget.js';
import { ExprError, expressionError } from './errors.js';
import { evaluate } from './evaluator.js';
import { Output, writeValue } from './format.js';
import { MAX_CACHED_TEMPLATE_LENGTH, MAX_RESULT_VALUES, TEMPLATE_CACHE_SIZE } from './limits.js';
import { checkDepth } from './operations.js';
import { parseExpression } from './parser.js';
import { isList, type ExprScope, type ExprValue, type Value } from './values.js';

/** Tork's tag: `{{\s*(.+?)\s*}}` in Go's RE2, where `\s` is ASCII space and `.` stops at a newline. */
const TAG = /\{\{[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*\}\}/g;

/** A template compiled once and rendered for many scopes (e.g. for each item of an `each`). */
export interface CompiledTemplate {
  readonly text: string;
  /** False when the text has no `{{ }}`: rendering returns it unchanged. */
  readonly hasExpressions: boolean;
  /** Each expression's value formatted as Go's `%v`, in place of its tag. */
  render(scope: ExprScope): string;
  /** The raw value when the text is exactly one expression (blanks around it aside), else `render`. */
  evaluate(scope: ExprScope): ExprValue;
}

interface Expression {
  readonly source: string;
  readonly ast: Node;
}

type Part = string | Expression;

const cache = new Map<string, CompiledTemplate>();

/** Parses every expression of a template; throws TorkError (INVALID_INPUT) naming the first that does not parse. */
export function compileTemplate(text: string): CompiledTemplate {
  if (typeof text !== 'string')
    throw new TorkError('INVALID_INPUT', `a template is a string, got ${typeof text}`);
  const cached = cache.get(text);
  if (cached !== undefined) {
    cache.delete(text); // least recently used goes first
    cache.set(text, cached);
    return cached;
  }
  const compiled = compile(text);
  if (text.length <= MAX_CACHED_TEMPLATE_LENGTH) {
    cache.set(text, compiled);
    if (cache.size > TEMPLATE_CACHE_SIZE) cache.delete(cache.keys().next().value ?? text);
  }
  return compiled;
}

function compile(text: string): CompiledTemplate {
  const parts: Part[] = [];
  let last = 0;
  for (const match of text.matchAll(TAG)) {
    const source = match[1] ?? '';
    let ast: Node;
    try {
      ast = parseExpression(source);
    } catch (error) {
      throw expressionError(source, 'syntax', error);
    }
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ source, ast });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return new Template(text, parts);
}

class Template implements CompiledTemplate {
  readonly hasExpressions: boolean;
  private readonly single: Expression | undefined;
  /** Named in an error that no expression caused (the rendering grew too long). */
  private readonly first: string;

  constructor(
    readonly text: string,
    private readonly parts: readonly Part[],
  ) {
    const expressions = parts.filter((part): part is Expression => typeof part !== 'string');
    this.hasExpressions = expressions.length > 0;
    this.first = expressions[0]?.source ?? '';
    const blanks = parts.every((part) => typeof part !== 'string' || part.trim() === '');
    this.single = expressions.length === 1 && blanks ? expressions[0] : undefined;
  }

  render(scope: ExprScope): string {
    if (!this.hasExpressions) return this.text;
    const budget = new Budget();
    const out = new Output();
    let current = this.first;
    try {
      checkScope(scope);
      for (const part of this.parts) {
        if (typeof part === 'string') {
          out.write(part);
        } else {
          current = part.source;
          writeValue(evaluate(part.ast, scope, budget), out, budget);
        }
      }
    } catch (error) {
      throw expressionError(current, 'evaluation', error);
    }
    return out.toString();
  }

  evaluate(scope: ExprScope): ExprValue {
    if (this.single === undefined) return this.render(scope);
    const budget = new Budget();
    try {
      checkScope(scope);
      return toHost(evaluate(this.single.ast, scope, budget), budget, { values: 0 }, 0);
    } catch (error) {
      throw expressionError(this.single.source, 'evaluation', error);
    }
  }
}

function checkScope(scope: unknown): void {
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) {
    throw new ExprError('the scope must be a map of names');
  }
}

/** A value as plain data for the caller: ints become numbers, maps become plain objects with own keys. */
function toHost(value: Value, budget: Budget, count: { values: number }, depth: number): ExprValue {
  count.values++;
  if (count.values > MAX_RESULT_VALUES)
    throw new ExprError(`result holds more than ${MAX_RESULT_VALUES} values`);
  switch (typeof value) {
    case 'bigint':
      return Number(value);
    case 'boolean':
    case 'number':
    case 'string':
      return value;
    default:
      break;
  }
  if (value === null) return null;
  checkDepth(depth);
  if (isList(value)) {
    budget.items(value.length);
    const items: ExprValue[] = [];
    for (let i = 0; i < value.length; i++) items.push(toHost(value.at(i), budget, count, depth + 1));
    return items;
  }
  const keys = value.keys();
  budget.items(keys.length);
  return Object.fromEntries(
    keys.map((key) => [key, toHost(value.get(key) ?? null, budget, count, depth + 1)]),
  );
}
