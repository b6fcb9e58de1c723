import type { Budget } from './budget.js';
import { ExprError } from './errors.js';
import { Output, sortedKeys } from './format.js';
import { MAX_JSON_INPUT } from './limits.js';
import { checkArrayLength, checkDepth } from './operations.js';
import { ArrayList, EntryMap, isList, type Value } from './values.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

/** expr-lang's toJSON: Go's json.MarshalIndent with two spaces, map keys sorted, HTML characters escaped. */
export function toJson(value: Value, budget: Budget): string {
  const out = new Output();
  writeJson(value, out, budget, '', 0);
  return out.toString();
}

function writeJson(value: Value, out: Output, budget: Budget, indent: string, depth: number): void {
  switch (typeof value) {
    case 'boolean':
    case 'bigint':
      out.write(String(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new ExprError(`toJSON: unsupported value ${String(value)}`);
      out.write(Object.is(value, -0) ? '-0' : String(value));
      return;
    case 'string':
      budget.chars(value.length);
      out.write(quote(value));
      return;
    default:
      break;
  }
  if (value === null) {
    out.write('null');
    return;
  }
  checkDepth(depth);
  const inner = `${indent}  `;
  if (isList(value)) {
    if (value.length === 0) {
      out.write('[]');
      return;
    }
    budget.items(value.length);
    out.write('[\n');
    for (let i = 0; i < value.length; i++) {
      out.write(i === 0 ? inner : `,\n${inner}`);
      writeJson(value.at(i), out, budget, inner, depth + 1);
    }
    out.write(`\n${indent}]`);
    return;
  }
  const keys = sortedKeys(value, budget);
  if (keys.length === 0) {
    out.write('{}');
    return;
  }
  out.write('{\n');
  keys.forEach((key, i) => {
    out.write(`${i === 0 ? inner : `,\n${inner}`}${quote(key)}: `);
    writeJson(value.get(key) ?? null, out, budget, inner, depth + 1);
  });
  out.write(`\n${indent}}`);
}

function quote(text: string): string {
  return JSON.stringify(text.replace(LONE_SURROGATE, '\ufffd')).replace(
    HTML_UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** expr-lang's fromJSON: Go's json.Unmarshal into `any`, so every number is a float. */
export function fromJson(text: string, budget: Budget): Value {
  if (text.length > MAX_JSON_INPUT)
    throw new ExprError(`fromJSON: input longer than ${MAX_JSON_INPUT} characters`);
  budget.chars(text.length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the input, which may be a secret.
    throw new ExprError('fromJSON: invalid JSON');
  }
  return fromParsed(parsed, budget, 0);
}

function fromParsed(value: unknown, budget: Budget, depth: number): Value {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
      return value;
    default:
      break;
  }
  if (value === null || typeof value !== 'object') return null;
  checkDepth(depth);
  if (Array.isArray(value)) {
    checkArrayLength(value.length);
    budget.items(value.length);
    return new ArrayList(value.map((item: unknown) => fromParsed(item, budget, depth + 1)));
  }
  const entries = Object.entries(value);
  budget.items(entries.length);
  return new EntryMap(new Map(entries.map(([key, item]) => [key, fromParsed(item, budget, depth + 1)])));
}
