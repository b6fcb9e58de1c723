/** Stable error codes. The HTTP status for each is decided in one place, the API's error handler. */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'CONFLICT'
  /** No credential, or a wrong one: which part was wrong is never said. */
  | 'UNAUTHENTICATED'
  /** The credential is valid but its role may not do this. */
  | 'FORBIDDEN'
  /** The request does not fit the resource's current state, e.g. cancelling a task that is not running. */
  | 'INVALID_STATE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** One problem with an input, named by its field path: `tasks[0].image: required`. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

export interface TorkErrorOptions {
  readonly problems?: readonly Problem[];
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

/** The one error type of the engine: a stable code, a message for people, data for machines. */
export class TorkError extends Error {
  override readonly name = 'TorkError';
  readonly problems: readonly Problem[];
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: TorkErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.problems = options.problems ?? [];
    this.retryable = options.retryable ?? false;
  }

  static invalid(problems: readonly Problem[]): TorkError {
    const summary = problems.map((p) => formatProblem(p)).join('; ');
    return new TorkError('INVALID_INPUT', `invalid job: ${summary}`, { problems });
  }

  static notFound(what: string, id: string): TorkError {
    return new TorkError('NOT_FOUND', `${what} ${id} not found`);
  }
}

export function formatProblem(problem: Problem): string {
  return `${problem.path}: ${problem.message}`;
}

export function isTorkError(error: unknown): error is TorkError {
  return error instanceof TorkError;
}

/** A message for any thrown value, for logs and task errors. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
