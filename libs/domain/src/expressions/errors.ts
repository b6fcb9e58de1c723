import { TorkError } from '../errors.js';

/** A failure inside the language; the template turns it into a TorkError that names the expression. */
export class ExprError extends Error {
  override readonly name = 'ExprError';

  constructor(
    message: string,
    /** 1-based column in the expression source, for syntax errors. */
    readonly column?: number,
  ) {
    super(message);
  }
}

/** The one way errors leave the module: INVALID_INPUT naming the expression; anything unexpected is wrapped. */
export function expressionError(source: string, phase: 'syntax' | 'evaluation', error: unknown): TorkError {
  const quoted = JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}…` : source);
  if (error instanceof ExprError) {
    const where = error.column === undefined ? '' : ` at column ${error.column}`;
    const what = phase === 'syntax' ? 'invalid expression' : 'cannot evaluate expression';
    return new TorkError('INVALID_INPUT', `${what} ${quoted}${where}: ${error.message}`);
  }
  // A stack overflow or a bug: say so without the JS message, which may quote data.
  return new TorkError('INVALID_INPUT', `cannot evaluate expression ${quoted}: internal error`, {
    cause: error,
  });
}

/** For work on a value outside any expression (formatting a value the caller holds). */
export function valueError(error: unknown): TorkError {
  const reason = error instanceof ExprError ? error.message : 'internal error';
  return new TorkError('INVALID_INPUT', `cannot format value: ${reason}`, { cause: error });
}
