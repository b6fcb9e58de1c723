import { isLink, type Link, type Node } from './ast.js';
import type { Budget } from './budget.js';
import { ExprError } from './errors.js';
import { FUNCTIONS } from './functions.js';
import { arithmetic, compare, contains, negate } from './operations.js';
import { hasSurrogates } from './strings.js';
import {
  ArrayList,
  EntryMap,
  isList,
  isMap,
  lookupName,
  typeName,
  type ExprScope,
  type Value,
} from './values.js';

/** What a link returns when a `?.` met nil: the whole chain is then nil. */
const SHORT_CIRCUIT = Symbol('short-circuit');
type Linked = Value | typeof SHORT_CIRCUIT;

/** Walks the tree; reads only the scope's own data and calls only the fixed function table. */
export function evaluate(node: Node, scope: ExprScope, budget: Budget): Value {
  budget.step();
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'array':
      return new ArrayList(node.items.map((item) => evaluate(item, scope, budget)));
    case 'map':
      return new EntryMap(
        new Map(node.entries.map((entry) => [entry.key, evaluate(entry.value, scope, budget)])),
      );
    case 'name':
      return lookupName(scope, node.name);
    case 'unary': {
      const operand = evaluate(node.operand, scope, budget);
      if (node.operator === '!') return !bool('!', operand);
      return negate(node.operator, operand);
    }
    case 'binary':
      return binary(node, scope, budget);
    case 'conditional': {
      const test = evaluate(node.test, scope, budget);
      if (typeof test !== 'boolean')
        throw new ExprError(`the condition of ?: must be bool, got ${typeName(test)}`);
      return evaluate(test ? node.then : node.otherwise, scope, budget);
    }
    case 'call': {
      const fn = FUNCTIONS.get(node.name);
      if (fn === undefined) throw new ExprError(`unknown function ${node.name}`);
      const args = node.args.map((arg) => evaluate(arg, scope, budget));
      return fn.call(args, budget);
    }
    case 'chain':
    case 'member':
    case 'index':
    case 'slice': {
      const value = link(node.type === 'chain' ? node.link : node, scope, budget);
      return value === SHORT_CIRCUIT ? null : value;
    }
  }
}

function link(node: Link, scope: ExprScope, budget: Budget): Linked {
  const object = isLink(node.object)
    ? link(node.object, scope, budget)
    : evaluate(node.object, scope, budget);
  budget.step();
  if (object === SHORT_CIRCUIT || (object === null && node.optional)) return SHORT_CIRCUIT;
  switch (node.type) {
    case 'member':
      return member(object, node.key);
    case 'index':
      return index(object, evaluate(node.index, scope, budget), budget);
    case 'slice': {
      const from = node.from === undefined ? undefined : evaluate(node.from, scope, budget);
      const to = node.to === undefined ? undefined : evaluate(node.to, scope, budget);
      return slice(object, from, to, budget);
    }
  }
}

type BinaryNode = Extract<Node, { type: 'binary' }>;

function binary(node: BinaryNode, scope: ExprScope, budget: Budget): Value {
  const { operator } = node;
  switch (operator) {
    case '&&':
    case '||': {
      const left = bool(operator, evaluate(node.left, scope, budget));
      if (left === (operator === '||')) return left;
      return bool(operator, evaluate(node.right, scope, budget));
    }
    case '??': {
      const left = evaluate(node.left, scope, budget);
      return left === null ? evaluate(node.right, scope, budget) : left;
    }
    default:
      break;
  }
  const left = evaluate(node.left, scope, budget);
  const right = evaluate(node.right, scope, budget);
  switch (operator) {
    case 'in':
      return contains(right, left, budget);
    case 'not in':
      return !contains(right, left, budget);
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(operator, left, right, budget);
    default:
      return arithmetic(operator, left, right, budget);
  }
}

function bool(operator: string, value: Value): boolean {
  if (typeof value === 'boolean') return value;
  throw new ExprError(`${operator} needs bool operands, got ${typeName(value)}`);
}

function member(object: Value, key: string): Value {
  if (isMap(object)) return object.get(key) ?? null;
  throw new ExprError(`cannot read "${key}" of ${typeName(object)}`);
}

function index(object: Value, key: Value, budget: Budget): Value {
  if (isMap(object)) {
    if (typeof key !== 'string') throw new ExprError(`a map key must be a string, got ${typeName(key)}`);
    return object.get(key) ?? null;
  }
  if (isList(object)) return object.at(position(key, object.length));
  if (typeof object === 'string') {
    const chars = characters(object, budget);
    const at = position(key, chars.length);
    return typeof chars === 'string' ? chars.charAt(at) : (chars[at] ?? null);
  }
  throw new ExprError(`cannot index ${typeName(object)}`);
}

/** An index into a sequence of `length`, negative from the end. */
function position(key: Value, length: number): number {
  const requested = integer(key, 'an index');
  const at = requested < 0 ? requested + length : requested;
  if (at < 0 || at >= length) throw new ExprError(`index ${requested} out of range (length ${length})`);
  return at;
}

function slice(object: Value, from: Value | undefined, to: Value | undefined, budget: Budget): Value {
  if (!isList(object) && typeof object !== 'string') throw new ExprError(`cannot slice ${typeName(object)}`);
  const chars = typeof object === 'string' ? characters(object, budget) : undefined;
  const length = chars?.length ?? (isList(object) ? object.length : 0);
  const bound = (value: Value | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const requested = integer(value, 'a slice bound');
    return Math.min(Math.max(requested < 0 ? requested + length : requested, 0), length);
  };
  const end = bound(to, length);
  const start = Math.min(bound(from, 0), end);
  if (typeof chars === 'string') return chars.slice(start, end);
  if (chars !== undefined) return chars.slice(start, end).join('');
  if (!isList(object)) return null;
  budget.items(end - start);
  const items: Value[] = [];
  for (let i = start; i < end; i++) items.push(object.at(i));
  return new ArrayList(items);
}

/** A string's characters (code points): the string itself when every character is one UTF-16 unit. */
function characters(text: string, budget: Budget): string | string[] {
  budget.chars(text.length);
  return hasSurrogates(text) ? Array.from(text) : text;
}

/** An int, or a float with an integral value (numbers read from JSON are floats). */
function integer(value: Value, what: string): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new ExprError(`${what} must be an int, got ${typeName(value)}`);
}
