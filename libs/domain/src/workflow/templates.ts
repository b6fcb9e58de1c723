import { compileTemplate as compile, type ExprScope, type ExprValue } from '../expressions/index.js';

/** The fields of a job spec that may hold `{{ }}` expressions use these; see expressions/ for the language. */

const OPEN = '{{';

export type TemplateScope = ExprScope;
export type TemplateValue = ExprValue;

export function hasExpressions(text: string): boolean {
  return text.includes(OPEN);
}

/** Checks a template's syntax; throws TorkError (INVALID_INPUT) naming the problem. */
export function checkTemplateSyntax(text: string): void {
  compile(text);
}

/** Checks a field that is an expression with or without `{{ }}` around it, as `each.list` is. */
export function checkExpressionSyntax(text: string): void {
  compile(asTemplate(text));
}

/** The text with every expression replaced by its value, formatted as Tork does. */
export function renderTemplate(text: string, scope: TemplateScope): string {
  if (!hasExpressions(text)) return text;
  return compile(text).render(scope);
}

/** The value of an expression field (`each.list`), not formatted. */
export function evaluateExpression(text: string, scope: TemplateScope): TemplateValue {
  return compile(asTemplate(text)).evaluate(scope);
}

function asTemplate(text: string): string {
  return hasExpressions(text) ? text : `${OPEN} ${text} }}`;
}
