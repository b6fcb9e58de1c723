import type { Budget } from './budget.js';
import { ExprError } from './errors.js';
import { compareByCodePoint } from './strings.js';
import { MAX_ARRAY_LENGTH, MAX_STRING_LENGTH, MAX_VALUE_DEPTH } from './limits.js';
import {
  ArrayList,
  isList,
  isMap,
  isNumber,
  toFloat,
  typeName,
  type ListValue,
  type Value,
} from './values.js';

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%' | '**';
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** expr-lang's number rules: int ∘ int stays int (wrapping at 64 bits, as Go does) except `/` and `**`. */
export function arithmetic(operator: ArithmeticOperator, left: Value, right: Value, budget: Budget): Value {
  if (operator === '+') {
    if (typeof left === 'string' && typeof right === 'string') {
      checkStringLength(left.length + right.length);
      budget.chars(left.length + right.length);
      return left + right;
    }
    if (isList(left) && isList(right)) return concat(left, right, budget);
  }
  if (!isNumber(left) || !isNumber(right)) throw mismatched(operator, left, right);
  switch (operator) {
    case '+':
      return typeof left === 'bigint' && typeof right === 'bigint'
        ? BigInt.asIntN(64, left + right)
        : toFloat(left) + toFloat(right);
    case '-':
      return typeof left === 'bigint' && typeof right === 'bigint'
        ? BigInt.asIntN(64, left - right)
        : toFloat(left) - toFloat(right);
    case '*':
      return typeof left === 'bigint' && typeof right === 'bigint'
        ? BigInt.asIntN(64, left * right)
        : toFloat(left) * toFloat(right);
    case '/':
      if (toFloat(right) === 0) throw new ExprError('division by zero');
      return toFloat(left) / toFloat(right);
    case '%':
      if (typeof left !== 'bigint' || typeof right !== 'bigint') throw mismatched(operator, left, right);
      if (right === 0n) throw new ExprError('modulo by zero');
      return BigInt.asIntN(64, left % right);
    case '**':
      return Math.pow(toFloat(left), toFloat(right));
  }
}

export function negate(operator: '-' | '+', operand: Value): Value {
  if (typeof operand === 'bigint') return operator === '-' ? BigInt.asIntN(64, -operand) : operand;
  if (typeof operand === 'number') return operator === '-' ? -operand : operand;
  throw new ExprError(`invalid operation: ${operator}${typeName(operand)}`);
}

export function compare(operator: ComparisonOperator, left: Value, right: Value, budget: Budget): boolean {
  switch (operator) {
    case '==':
      return equals(left, right, budget);
    case '!=':
      return !equals(left, right, budget);
    default:
      break;
  }
  let order: number;
  if (isNumber(left) && isNumber(right)) {
    if (Number.isNaN(left) || Number.isNaN(right)) return false;
    order = left < right ? -1 : left > right ? 1 : 0;
  } else if (typeof left === 'string' && typeof right === 'string') {
    order = compareStrings(left, right, budget);
  } else {
    throw mismatched(operator, left, right);
  }
  switch (operator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** Deep equality; ints and floats compare by value (`1 == 1.0`), other kinds never equal each other. */
function equals(left: Value, right: Value, budget: Budget, depth = 0): boolean {
  if (isNumber(left) && isNumber(right)) {
    if (Number.isNaN(left) || Number.isNaN(right)) return false;
    return !(left < right) && !(left > right);
  }
  if (isList(left)) {
    if (!isList(right) || left.length !== right.length) return false;
    checkDepth(depth);
    budget.items(left.length);
    for (let i = 0; i < left.length; i++) {
      if (!equals(left.at(i), right.at(i), budget, depth + 1)) return false;
    }
    return true;
  }
  if (isMap(left)) {
    if (!isMap(right)) return false;
    checkDepth(depth);
    const keys = left.keys();
    if (keys.length !== right.size) return false;
    budget.items(keys.length);
    for (const key of keys) {
      const other = right.get(key);
      if (other === undefined || !equals(left.get(key) ?? null, other, budget, depth + 1)) return false;
    }
    return true;
  }
  return left === right;
}

/** `needle in collection`: an element of an array, or a key of a map; nothing is in nil. */
export function contains(collection: Value, needle: Value, budget: Budget): boolean {
  if (collection === null) return false;
  if (isList(collection)) {
    budget.items(collection.length);
    for (let i = 0; i < collection.length; i++) {
      if (equals(needle, collection.at(i), budget)) return true;
    }
    return false;
  }
  if (isMap(collection)) {
    if (typeof needle !== 'string') throw mismatched('in', needle, collection);
    return collection.get(needle) !== undefined;
  }
  throw mismatched('in', needle, collection);
}

function compareStrings(left: string, right: string, budget: Budget): number {
  budget.chars(Math.min(left.length, right.length));
  return compareByCodePoint(left, right);
}

function concat(left: ListValue, right: ListValue, budget: Budget): ArrayList {
  const length = left.length + right.length;
  checkArrayLength(length);
  budget.items(length);
  const items: Value[] = [];
  for (let i = 0; i < left.length; i++) items.push(left.at(i));
  for (let i = 0; i < right.length; i++) items.push(right.at(i));
  return new ArrayList(items);
}

export function checkStringLength(length: number): void {
  if (length > MAX_STRING_LENGTH) throw new ExprError(`string longer than ${MAX_STRING_LENGTH} characters`);
}

export function checkArrayLength(length: number): void {
  if (length > MAX_ARRAY_LENGTH) throw new ExprError(`array longer than ${MAX_ARRAY_LENGTH} items`);
}

export function checkDepth(depth: number): void {
  if (depth >= MAX_VALUE_DEPTH) throw new ExprError(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
}

function mismatched(operator: string, left: Value, right: Value): ExprError {
  return new ExprError(`invalid operation: ${typeName(left)} ${operator} ${typeName(right)}`);
}
