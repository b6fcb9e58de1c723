import { parseDuration } from './duration.js';
import type { RetrySpec } from './job-spec/types.js';

export const MAX_RETRY_INITIAL_DELAY_MS = 5 * 60_000;
export const MAX_RETRY_SCALING_FACTOR = 10;
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 1000;
export const DEFAULT_RETRY_SCALING_FACTOR = 2;

/** The wait before retry n (n = 1 after the first attempt failed): initialDelay × scalingFactor^(n-1). */
export function retryDelayMs(retry: RetrySpec, retryNumber: number): number {
  const initial =
    retry.initialDelay == null
      ? DEFAULT_RETRY_INITIAL_DELAY_MS
      : (parseDuration(retry.initialDelay) ?? DEFAULT_RETRY_INITIAL_DELAY_MS);
  const factor = retry.scalingFactor ?? DEFAULT_RETRY_SCALING_FACTOR;
  return Math.round(initial * factor ** (retryNumber - 1));
}

/** The sum of every retry's wait when all `limit` retries are used. */
export function totalRetryDelayMs(retry: RetrySpec): number {
  let total = 0;
  for (let retryNumber = 1; retryNumber <= retry.limit; retryNumber++)
    total += retryDelayMs(retry, retryNumber);
  return total;
}
