import { formatDuration, parseDuration } from '../duration.js';
import { errorMessage, type Problem } from '../errors.js';
import { checkExpressionSyntax, checkTemplateSyntax, hasExpressions } from '../workflow/templates.js';
import { SPEC_LIMITS } from './spec-limits.js';

/*
 * Checks of single fields that every part of the spec uses. They work on the decoded body, before it
 * is typed: a value of the wrong type is the schema's problem, skipped here.
 */

export function checkDuration(
  value: unknown,
  path: string,
  maxMs: number | undefined,
  problems: Problem[],
): void {
  if (typeof value !== 'string' || !isShort(value)) return;
  const ms = parseDuration(value);
  if (ms === undefined)
    problems.push({ path, message: `"${value}" is not a duration (e.g. 300ms, 45m, 1h)` });
  else if (ms <= 0) problems.push({ path, message: 'must be more than 0' });
  else if (maxMs !== undefined && ms > maxMs)
    problems.push({ path, message: `must be at most ${formatDuration(maxMs)}` });
}

export function checkStringMap(value: unknown, path: string, problems: Problem[]): void {
  if (!isRecord(value)) return;
  for (const [key, item] of Object.entries(value)) checkTemplate(item, `${path}.${key}`, problems);
}

/** A string field that may hold `{{ }}` expressions: each must parse. */
export function checkTemplate(value: unknown, path: string, problems: Problem[]): void {
  if (typeof value !== 'string' || !hasExpressions(value)) return;
  try {
    checkTemplateSyntax(value);
  } catch (error) {
    problems.push({ path, message: errorMessage(error) });
  }
}

/** A field that is an expression, with or without `{{ }}` around it (`each.list`). */
export function checkExpression(value: string, path: string, problems: Problem[]): void {
  try {
    checkExpressionSyntax(value);
  } catch (error) {
    problems.push({ path, message: errorMessage(error) });
  }
}

/** Longer texts already break the schema's maxLength: one problem is enough. */
export function isShort(text: string): boolean {
  return text.length <= SPEC_LIMITS.shortTextLength;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
