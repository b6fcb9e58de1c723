/** What the client's exit status says, for shell scripts and CI. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  cancelled: 3,
  unavailable: 4,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One problem of a refused request, with the field it is about (the API's 400 body). */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/**
 * Every failure of the client: a one-line message for stderr, the exit status it decides, and
 * the problems of a refused job spec, each with its field path.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly problems: readonly Problem[] = [],
  ) {
    super(message);
  }
}

/**
 * The exit status of an HTTP error: what the API refuses as bad input (400, 404, 413 and the
 * other 4xx) is a usage error; what says the API cannot serve now (401, 403, 408, 429, 5xx) is 4.
 */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500)
    return EXIT.unavailable;
  return EXIT.usage;
}

/** The exit status a followed job ends the command with. */
export function exitCodeOfJobState(state: string): ExitCode {
  switch (state) {
    case 'COMPLETED':
      return EXIT.ok;
    case 'CANCELLED':
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}
