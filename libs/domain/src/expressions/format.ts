import { Budget } from './budget.js';
import { ExprError, valueError } from './errors.js';
import { MAX_STRING_LENGTH } from './limits.js';
import { checkDepth } from './operations.js';
import { compareByCodePoint } from './strings.js';
import { fromHost, isList, type ExprValue, type MapValue, type Value } from './values.js';

/** A string built piece by piece that refuses to grow past the result bound. */
export class Output {
  private text = '';

  constructor(private readonly max: number = MAX_STRING_LENGTH) {}

  write(piece: string): void {
    if (this.text.length + piece.length > this.max) {
      throw new ExprError(`result longer than ${this.max} characters`);
    }
    this.text += piece;
  }

  toString(): string {
    return this.text;
  }
}

/** Formats a value as Go's `%v` does, which is how Tork writes an expression's value into a template. */
export function formatValue(value: ExprValue): string {
  const out = new Output();
  try {
    writeValue(fromHost(value), out, new Budget());
  } catch (error) {
    throw valueError(error);
  }
  return out.toString();
}

export function writeValue(value: Value, out: Output, budget: Budget, depth = 0): void {
  switch (typeof value) {
    case 'string':
      out.write(value);
      return;
    case 'boolean':
    case 'bigint':
      out.write(String(value));
      return;
    case 'number':
      out.write(formatFloat(value));
      return;
    default:
      break;
  }
  if (value === null) {
    out.write('<nil>');
    return;
  }
  checkDepth(depth);
  if (isList(value)) {
    budget.items(value.length);
    out.write('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.write(' ');
      writeValue(value.at(i), out, budget, depth + 1);
    }
    out.write(']');
    return;
  }
  out.write('map[');
  sortedKeys(value, budget).forEach((key, i) => {
    if (i > 0) out.write(' ');
    out.write(`${key}:`);
    writeValue(value.get(key) ?? null, out, budget, depth + 1);
  });
  out.write(']');
}

/** Map keys in byte order of their UTF-8 form, as Go's fmt and encoding/json sort them. */
export function sortedKeys(map: MapValue, budget: Budget): string[] {
  const keys = [...map.keys()];
  budget.items(keys.length * Math.max(1, Math.log2(keys.length)));
  return keys.sort(compareByCodePoint);
}

/**
 * Go's `%v` for a float64 (strconv's shortest `%g`): the shortest digits that read back the same,
 * in `%e` form when the decimal exponent is below -4 or at least 6, so 2.0 → `2`, 1e6 → `1e+06`.
 */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (value === 0) return `${sign}0`;
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits.charAt(0)}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  const point = exponent + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
