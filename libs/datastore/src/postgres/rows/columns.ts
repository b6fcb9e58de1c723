import type { ColumnType } from 'kysely';

/*
 * Column types and value conversions every table's rows share. Timestamps are timestamptz: written
 * as the domain's ISO strings, read as Dates (pg's parser) and turned back into ISO strings, exact to
 * the millisecond. JSON columns are written as JSON text and read parsed.
 */

export type Timestamp = ColumnType<Date, string, string>;
export type OptionalTimestamp = ColumnType<Date | null, string | null, string | null>;
export type Json = ColumnType<unknown, string, string>;
export type OptionalJson = ColumnType<unknown, string | null, string | null>;

/** For each field of a patch, the columns it sets. */
type ColumnSetters<P, R> = { [K in keyof P]-?: (value: P[K]) => R };

export function columns<P extends object, R extends object>(patch: P, setters: ColumnSetters<P, R>): R {
  const set = <K extends keyof P>(key: K, value: P[K]): R => setters[key](value);
  let row = {} as R;
  for (const name of Object.keys(patch)) {
    // Only fields of the patch type have setters; anything else a caller's object carries is not a column.
    if (!Object.hasOwn(setters, name)) continue;
    const key = name as keyof P;
    row = { ...row, ...set(key, patch[key]) };
  }
  return row;
}

export function optional<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

export function iso(value: Date): string {
  return value.toISOString();
}

export function isoOrNull(value: Date | null): string | null {
  return value === null ? null : iso(value);
}

/** PostgreSQL text cannot hold U+0000, which a task's output may; it is stored as U+FFFD. */
export function text(value: string | undefined): string | null {
  return value === undefined ? null : value.replaceAll('\u0000', '\uFFFD');
}

export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : json(value);
}

export function json(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'string' ? item.replaceAll('\u0000', '\uFFFD') : item,
  );
}
