import { ExprError } from './errors.js';

export type Token =
  | { readonly kind: 'int'; readonly value: bigint; readonly column: number }
  | { readonly kind: 'float'; readonly value: number; readonly column: number }
  | { readonly kind: 'string'; readonly value: string; readonly column: number }
  /** Identifiers and the word operators (`and`, `or`, `not`, `in`) and literals (`true`, `nil`). */
  | { readonly kind: 'name'; readonly value: string; readonly column: number }
  | { readonly kind: 'punct'; readonly value: string; readonly column: number }
  | { readonly kind: 'end'; readonly value: ''; readonly column: number };

const INT64_MAX = 2n ** 63n - 1n;

// Longest first, so `**` is not read as two `*`.
const PUNCTUATION = '** ?? ?. == != <= >= && || + - * / % ^ < > ! ? : . , ( ) [ ] { }'.split(' ');

const NAME_START = /[\p{L}_$]/u;
const NAME_PART = /[\p{L}\p{N}_$]/u;
const DECIMAL = /^(?:\d[\d_]*)?(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?/;
const HEX = /^0[xX]_*[\da-fA-F][\da-fA-F_]*/;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** Splits an expression into tokens; columns are 1-based. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < source.length) {
    const char = source.charAt(pos);
    const column = pos + 1;
    if (/\s/.test(char)) {
      pos++;
    } else if (isDigit(char) || (char === '.' && isDigit(source.charAt(pos + 1)) && !endsValue(tokens))) {
      const { token, length } = readNumber(source.slice(pos), column);
      tokens.push(token);
      pos += length;
    } else if (char === '"' || char === "'") {
      const { value, length } = readQuoted(source, pos);
      tokens.push({ kind: 'string', value, column });
      pos += length;
    } else if (char === '`') {
      const end = source.indexOf('`', pos + 1);
      if (end < 0) throw new ExprError('unterminated string', column);
      tokens.push({ kind: 'string', value: source.slice(pos + 1, end), column });
      pos = end + 1;
    } else if (NAME_START.test(char)) {
      let end = pos + 1;
      while (end < source.length && NAME_PART.test(source.charAt(end))) end++;
      tokens.push({ kind: 'name', value: source.slice(pos, end), column });
      pos = end;
    } else {
      const punct = PUNCTUATION.find((p) => source.startsWith(p, pos));
      // `a ?.5 : 1` is a ternary with `.5`, not an optional member.
      const value = punct === '?.' && isDigit(source.charAt(pos + 2)) ? '?' : punct;
      if (value === undefined) throw new ExprError(`unexpected character ${JSON.stringify(char)}`, column);
      tokens.push({ kind: 'punct', value, column });
      pos += value.length;
    }
  }
  tokens.push({ kind: 'end', value: '', column: source.length + 1 });
  return tokens;
}

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9';
}

/** After a value, `.5` is a member access, not a number. */
function endsValue(tokens: readonly Token[]): boolean {
  const last = tokens.at(-1);
  if (last === undefined) return false;
  return last.kind !== 'punct' || [')', ']', '}'].includes(last.value);
}

function readNumber(text: string, column: number): { token: Token; length: number } {
  const hex = HEX.exec(text)?.[0];
  const literal = hex ?? DECIMAL.exec(text)?.[0] ?? '';
  if (NAME_PART.test(text.charAt(literal.length))) {
    throw new ExprError(`invalid number ${JSON.stringify(text.slice(0, literal.length + 1))}`, column);
  }
  const clean = literal.replaceAll('_', '');
  if (hex === undefined && /[.eE]/.test(clean)) {
    return { token: { kind: 'float', value: Number(clean), column }, length: literal.length };
  }
  const value = BigInt(clean);
  if (value > INT64_MAX) throw new ExprError(`integer literal ${literal} is too large`, column);
  return { token: { kind: 'int', value, column }, length: literal.length };
}

function readQuoted(source: string, start: number): { value: string; length: number } {
  const quote = source.charAt(start);
  let value = '';
  let pos = start + 1;
  while (pos < source.length) {
    const char = source.charAt(pos);
    if (char === quote) return { value, length: pos + 1 - start };
    if (char !== '\\') {
      value += char;
      pos++;
      continue;
    }
    const escape = source.charAt(pos + 1);
    const simple = SIMPLE_ESCAPES[escape];
    if (simple !== undefined) {
      value += simple;
      pos += 2;
    } else if (escape === 'u' || escape === 'x') {
      const digits = source.slice(pos + 2, pos + (escape === 'u' ? 6 : 4));
      if (!/^[\da-fA-F]+$/.test(digits) || digits.length !== (escape === 'u' ? 4 : 2)) {
        throw new ExprError(`invalid escape \\${escape}${digits}`, pos + 1);
      }
      value += String.fromCharCode(parseInt(digits, 16));
      pos += 2 + digits.length;
    } else {
      throw new ExprError(`invalid escape \\${escape}`, pos + 1);
    }
  }
  throw new ExprError('unterminated string', start + 1);
}
