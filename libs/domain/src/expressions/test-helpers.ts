import { expect } from 'vitest';
import { TorkError } from '../errors.js';
import { compileTemplate } from './template.js';
import type { ExprScope, ExprValue } from './values.js';

/** Renders `{{ expression }}`, as Tork writes it into a field. */
export function show(expression: string, scope: ExprScope = {}): string {
  return compileTemplate(`{{ ${expression} }}`).render(scope);
}

/** The raw value of one expression, as `each.list` reads it. */
export function valueOf(expression: string, scope: ExprScope = {}): ExprValue {
  return compileTemplate(`{{ ${expression} }}`).evaluate(scope);
}

/** The TorkError a call throws; fails the test when it throws nothing or something else. */
export function errorOf(run: () => unknown): TorkError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TorkError);
    const tork = error as TorkError;
    expect(tork.code).toBe('INVALID_INPUT');
    return tork;
  }
  throw new Error('expected a TorkError, nothing was thrown');
}
