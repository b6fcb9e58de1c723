/** Bounds of the expression language; the reasons are in docs/adr/0001-expression-language.md. */
export const MAX_SOURCE_LENGTH = 4096;
export const MAX_AST_DEPTH = 64;
/** Nesting of values (lists and maps) that formatting, comparison and JSON will walk. */
export const MAX_VALUE_DEPTH = 128;
export const MAX_STEPS = 100_000;
/** Bulk work costs steps too, about a microsecond's worth each: so many array items, or characters. */
export const ITEMS_PER_STEP = 4;
export const CHARS_PER_STEP = 64;
export const MAX_STRING_LENGTH = 1024 * 1024;
export const MAX_ARRAY_LENGTH = 100_000;
/** Values a raw result may hold in all, counting nested ones, when it leaves the evaluator. */
export const MAX_RESULT_VALUES = 1_000_000;
export const MAX_JSON_INPUT = 1024 * 1024;
export const TEMPLATE_CACHE_SIZE = 1000;
/** Longer template texts are compiled each time rather than kept in the cache. */
export const MAX_CACHED_TEMPLATE_LENGTH = 16 * 1024;
