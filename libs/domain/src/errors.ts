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

  /**
   * An invalid input; at most {@link MAX_PROBLEMS} problems are kept (see {@link boundProblems}).
   * `total` counts problems found beyond those given, when the caller kept only the first ones.
   */
  static invalid(problems: readonly Problem[], total = problems.length): TorkError {
    const bounded = boundProblems(problems, total);
    const summary = bounded.map((p) => formatProblem(p)).join('; ');
    return new TorkError('INVALID_INPUT', `invalid job: ${summary}`, { problems: bounded });
  }

  static notFound(what: string, id: string): TorkError {
    return new TorkError('NOT_FOUND', `${what} ${id} not found`);
  }
}

/** A reply lists at most this many problems, then one that counts the rest. */
export const MAX_PROBLEMS = 50;
/** Paths and messages of problems are cut to this many characters: they may quote the input. */
export const MAX_PROBLEM_TEXT = 256;

/** The first {@link MAX_PROBLEMS} problems, their texts cut short, then `{path: "body", message: "and N more problems"}`. */
export function boundProblems(problems: readonly Problem[], total = problems.length): Problem[] {
  const kept = problems.slice(0, MAX_PROBLEMS).map((problem) => ({
    path: truncateText(problem.path, MAX_PROBLEM_TEXT),
    message: truncateText(problem.message, MAX_PROBLEM_TEXT),
  }));
  const rest = Math.max(total, problems.length) - kept.length;
  return rest > 0 ? [...kept, { path: 'body', message: `and ${rest} more problems` }] : kept;
}

/** `text` if it has at most `max` characters, else its start and `…`, `max` characters in all. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  // Never leave half of a surrogate pair.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
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
