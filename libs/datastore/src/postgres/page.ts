import type { Page, PageQuery } from '@tork/domain';

export function page<T>(items: T[], query: PageQuery, totalItems: number): Page<T> {
  return {
    items,
    number: query.page,
    size: query.size,
    totalPages: Math.ceil(totalItems / query.size),
    totalItems,
  };
}

export const UNIQUE_VIOLATION = '23505';

/** Calls per batched statement (inserts, reads, compare-and-sets). */
export const MAX_BATCH = 500;

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement. */
export const INSERT_BATCH = 1_000;
