import { expect } from 'vitest';
import { formatProblem, TorkError } from '../errors.js';
import type { JobSpecFormat } from './decode.js';
import { parseJobSpec, parseJobSpecText } from './parse.js';
import type { JobSpecPolicy } from './policy.js';

/** The problems a rejected body is reported with, as `path: message`; fails the test when it is accepted. */
export function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(TorkError);
    const torkError = error as TorkError;
    expect(torkError.code).toBe('INVALID_INPUT');
    const problems = torkError.problems.map(formatProblem);
    // The one error message names every problem too, for callers that only show the message.
    for (const problem of problems) expect(torkError.message).toContain(problem);
    return problems;
  }
  throw new Error('expected the job spec to be rejected');
}

export const problemsOfText = (text: string, format: JobSpecFormat): string[] =>
  problemsOf(() => parseJobSpecText(text, format));
export const problemsOfBody = (body: unknown): string[] => problemsOf(() => parseJobSpec(body));

/** A body with one task: a valid one changed by `fields`. */
export const oneTask = (fields: Record<string, unknown>): unknown => ({
  tasks: [{ image: 'busybox', ...fields }],
});

/** The problems a body is rejected with under a policy, as `path: message`; fails the test if accepted. */
export function problemsUnder(body: unknown, policy: JobSpecPolicy = {}): string[] {
  try {
    parseJobSpec(body, policy);
  } catch (error) {
    expect(error).toBeInstanceOf(TorkError);
    return (error as TorkError).problems.map(formatProblem);
  }
  throw new Error('expected the job spec to be rejected');
}
