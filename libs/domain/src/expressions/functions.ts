import type { Budget } from './budget.js';
import { ExprError } from './errors.js';
import { fromJson, toJson } from './json.js';
import { MAX_ARRAY_LENGTH } from './limits.js';
import { checkArrayLength, checkStringLength } from './operations.js';
import { codePointCount, trimBy } from './strings.js';
import { ArrayList, isList, isMap, typeName, type Value } from './values.js';

interface ExprFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  call(args: readonly Value[], budget: Budget): Value;
}

// unicode.IsSpace, which Go's strings.TrimSpace uses.
const SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const TWO_TO_53 = 2 ** 53;

/** The only callables an expression can reach: Tork's two functions and the expr builtins Tork users write. */
export const FUNCTIONS: ReadonlyMap<string, ExprFunction> = new Map<string, ExprFunction>([
  [
    'sequence',
    {
      minArgs: 2,
      maxArgs: 2,
      call: ([start, stop], budget) => {
        const from = int('sequence', start);
        const to = int('sequence', stop);
        if (to <= from) return new ArrayList([]);
        if (to - from > BigInt(MAX_ARRAY_LENGTH)) {
          throw new ExprError(`sequence of ${to - from} items is longer than ${MAX_ARRAY_LENGTH}`);
        }
        const length = Number(to - from);
        budget.items(length);
        return new ArrayList(Array.from({ length }, (_, i) => from + BigInt(i)));
      },
    },
  ],
  [
    'randomInt',
    {
      minArgs: 0,
      maxArgs: 1,
      call: (args) => {
        if (args.length === 0) return BigInt(Math.floor(Math.random() * TWO_TO_53));
        const bound = int('randomInt', args[0] ?? null);
        if (bound <= 0n) throw new ExprError('randomInt: n must be greater than 0');
        if (bound <= BigInt(TWO_TO_53)) return BigInt(Math.floor(Math.random() * Number(bound)));
        const high = BigInt(Math.floor(Math.random() * 2 ** 32));
        const low = BigInt(Math.floor(Math.random() * 2 ** 32));
        return ((high << 32n) | low) % bound;
      },
    },
  ],
  ['fromJSON', { minArgs: 1, maxArgs: 1, call: ([text], budget) => fromJson(str('fromJSON', text), budget) }],
  ['toJSON', { minArgs: 1, maxArgs: 1, call: ([value], budget) => toJson(value ?? null, budget) }],
  [
    'split',
    {
      minArgs: 2,
      maxArgs: 3,
      call: ([text, separator, limit], budget) =>
        split(
          str('split', text),
          str('split', separator),
          limit === undefined ? -1 : Number(int('split', limit)),
          budget,
        ),
    },
  ],
  [
    'len',
    {
      minArgs: 1,
      maxArgs: 1,
      call: ([value = null], budget) => {
        if (typeof value === 'string') {
          budget.chars(value.length);
          return BigInt(codePointCount(value));
        }
        if (isList(value)) return BigInt(value.length);
        if (isMap(value)) return BigInt(value.size);
        throw new ExprError(`len: invalid argument of type ${typeName(value)}`);
      },
    },
  ],
  [
    'upper',
    { minArgs: 1, maxArgs: 1, call: ([text], budget) => recase(str('upper', text), 'upper', budget) },
  ],
  [
    'lower',
    { minArgs: 1, maxArgs: 1, call: ([text], budget) => recase(str('lower', text), 'lower', budget) },
  ],
  [
    'trim',
    {
      minArgs: 1,
      maxArgs: 2,
      call: ([text, cutset], budget) => {
        const value = str('trim', text);
        budget.chars(value.length);
        if (cutset === undefined) return trimBy(value, (cp) => SPACE.has(cp));
        const cut = new Set(Array.from(str('trim', cutset), (char) => char.codePointAt(0)));
        return trimBy(value, (cp) => cut.has(cp));
      },
    },
  ],
]);

function int(name: string, value: Value | undefined): bigint {
  if (typeof value === 'bigint') return value;
  throw new ExprError(`${name}: expected int, got ${typeName(value ?? null)}`);
}

function str(name: string, value: Value | undefined): string {
  if (typeof value === 'string') return value;
  throw new ExprError(`${name}: expected string, got ${typeName(value ?? null)}`);
}

function recase(text: string, to: 'upper' | 'lower', budget: Budget): string {
  budget.chars(text.length);
  const result = to === 'upper' ? text.toUpperCase() : text.toLowerCase();
  checkStringLength(result.length);
  return result;
}

/** Go's strings.SplitN: n < 0 all parts, n == 0 none, else at most n with the rest in the last; "" splits characters. */
function split(text: string, separator: string, limit: number, budget: Budget): ArrayList {
  budget.chars(text.length);
  if (limit === 0) return new ArrayList([]);
  const parts: string[] = [];
  const max = limit < 0 ? Infinity : limit;
  if (separator === '') {
    for (const char of text) {
      if (parts.length === max - 1) break;
      parts.push(char);
      checkArrayLength(parts.length);
    }
    const used = parts.reduce((sum, part) => sum + part.length, 0);
    if (used < text.length) parts.push(text.slice(used));
  } else {
    let from = 0;
    while (parts.length < max - 1) {
      const at = text.indexOf(separator, from);
      if (at < 0) break;
      parts.push(text.slice(from, at));
      checkArrayLength(parts.length);
      from = at + separator.length;
    }
    parts.push(text.slice(from));
  }
  checkArrayLength(parts.length);
  budget.items(parts.length);
  return new ArrayList(parts);
}
