import { ExprError } from './errors.js';

/**
 * Values inside the evaluator. Ints are bigints (int64, as in expr-lang) and floats are numbers,
 * so `1` and `1.0` stay apart; lists and maps read the caller's data lazily and only through
 * its own data properties.
 */
export type Value = null | boolean | bigint | number | string | ListValue | MapValue;

export interface ListValue {
  readonly kind: 'list';
  readonly length: number;
  at(index: number): Value;
}

export interface MapValue {
  readonly kind: 'map';
  readonly size: number;
  /** undefined when the key is missing. */
  get(key: string): Value | undefined;
  keys(): readonly string[];
}

/** Plain data as callers pass it in and get it back: JSON-like, numbers as JS numbers. */
export type ExprValue =
  null | boolean | number | string | readonly ExprValue[] | { readonly [key: string]: ExprValue };

/** The names an expression can read: `inputs`, `secrets`, `tasks`, `job`, the loop variable. */
export type ExprScope = Readonly<Record<string, ExprValue>>;

type TypeName = 'nil' | 'bool' | 'int' | 'float' | 'string' | 'array' | 'map';

export function typeName(value: Value): TypeName {
  if (value === null) return 'nil';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    default:
      return value.kind === 'list' ? 'array' : 'map';
  }
}

export function isList(value: Value): value is ListValue {
  return typeof value === 'object' && value !== null && value.kind === 'list';
}

export function isMap(value: Value): value is MapValue {
  return typeof value === 'object' && value !== null && value.kind === 'map';
}

export function isNumber(value: Value): value is bigint | number {
  return typeof value === 'bigint' || typeof value === 'number';
}

export function toFloat(value: bigint | number): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** A list the evaluator made. */
export class ArrayList implements ListValue {
  readonly kind = 'list';

  constructor(readonly items: readonly Value[]) {}

  get length(): number {
    return this.items.length;
  }

  at(index: number): Value {
    return this.items[index] ?? null;
  }
}

/** A map the evaluator made (a map literal, fromJSON). */
export class EntryMap implements MapValue {
  readonly kind = 'map';

  constructor(private readonly entries: ReadonlyMap<string, Value>) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Value | undefined {
    return this.entries.get(key);
  }

  keys(): readonly string[] {
    return [...this.entries.keys()];
  }
}

class HostList implements ListValue {
  readonly kind = 'list';

  constructor(private readonly array: readonly unknown[]) {}

  get length(): number {
    return this.array.length;
  }

  at(index: number): Value {
    return fromHost(ownData(this.array, String(index)));
  }
}

class HostObject implements MapValue {
  readonly kind = 'map';

  constructor(private readonly object: object) {}

  get size(): number {
    return Object.keys(this.object).length;
  }

  get(key: string): Value | undefined {
    if (!Object.hasOwn(this.object, key)) return undefined;
    return fromHost(ownData(this.object, key));
  }

  keys(): readonly string[] {
    return Object.keys(this.object);
  }
}

class HostMap implements MapValue {
  readonly kind = 'map';

  constructor(private readonly map: ReadonlyMap<unknown, unknown>) {}

  get size(): number {
    return this.keys().length;
  }

  get(key: string): Value | undefined {
    return this.map.has(key) ? fromHost(this.map.get(key)) : undefined;
  }

  keys(): readonly string[] {
    return [...this.map.keys()].filter((key): key is string => typeof key === 'string');
  }
}

/** An own data property's value; never runs a getter, never follows the prototype chain. */
function ownData(object: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  if (descriptor === undefined) return undefined;
  if (!('value' in descriptor)) throw new ExprError(`unsupported value at "${key}" (a getter, not data)`);
  return descriptor.value;
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The caller's data as a Value; anything that is not plain data (a function, a class instance) is refused. */
export function fromHost(value: unknown): Value {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'bigint':
      return BigInt.asIntN(64, value);
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return new HostList(value);
      if (value instanceof Map) return new HostMap(value);
      if (isPlainObject(value)) return new HostObject(value);
      throw new ExprError('unsupported value (an object that is not plain data)');
    default:
      throw new ExprError(`unsupported value (a ${typeof value})`);
  }
}

/** A top-level name of the scope, or an error naming it. */
export function lookupName(scope: ExprScope, name: string): Value {
  if (!Object.hasOwn(scope, name)) throw new ExprError(`unknown name ${name}`);
  return fromHost(ownData(scope, name));
}
