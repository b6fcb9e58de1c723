/** How deliveries are retried: see docs/adr/0009-webhook-deliveries.md. */
export const WEBHOOK_RETRY = {
  /** The first retry waits about this long; each further one twice as long as the one before. */
  initialDelayMs: 1_000,
  /** No wait is longer, however many attempts failed. */
  maxDelayMs: 60 * 60_000,
  /** Retries stop this long after the delivery was created; it is then given up on. */
  giveUpAfterMs: 24 * 3_600_000,
  /** Each request may take this long, connecting included. */
  requestTimeoutMs: 5_000,
} as const;

/**
 * The wait before retrying after `attempts` failed attempts: exponential, with jitter (half fixed,
 * half random) so receivers that come back are not hit by every sender at once. `random` in [0, 1).
 */
export function webhookRetryDelay(attempts: number, random: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  const ceiling = Math.min(WEBHOOK_RETRY.maxDelayMs, WEBHOOK_RETRY.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/**
 * A `Retry-After` header (seconds, or an HTTP date) as milliseconds from `nowMs`; undefined when
 * absent or unreadable. A date in the past is no wait.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (!/[a-z]/i.test(text) || Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** What a receiver's answer (or a network error: `status` undefined) means for the delivery. */
export type AttemptResult =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  | { readonly kind: 'rejected'; readonly error: string };

/**
 * 2xx: delivered; network errors, 429 and 5xx: retried; anything else (3xx, 4xx), or an error that
 * trying again cannot mend (`permanent`: a refused address), rejected for good.
 */
export function classifyAttempt(
  response:
    | { readonly status: number; readonly retryAfter?: string }
    | { readonly error: string; readonly permanent?: boolean },
  nowMs: number,
): AttemptResult {
  if ('error' in response)
    return { kind: response.permanent === true ? 'rejected' : 'retry', error: response.error };
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.retryAfter, nowMs);
    return {
      kind: 'retry',
      error: `HTTP ${status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { kind: 'rejected', error: `HTTP ${status}` };
}

/**
 * The delivery's next state after an attempt: DELIVERED, PENDING with the time of the next attempt
 * (Retry-After when the receiver named a later time than the backoff), or FAILED once the next
 * attempt would fall past the 24 hours.
 */
export function nextDeliveryState(
  delivery: { readonly attempts: number; readonly createdAt: string },
  result: AttemptResult,
  nowMs: number,
  random: number,
): {
  state: 'DELIVERED' | 'PENDING' | 'FAILED';
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
} {
  const attempts = delivery.attempts + 1;
  const now = new Date(nowMs).toISOString();
  switch (result.kind) {
    case 'delivered':
      return { state: 'DELIVERED', attempts, nextAttemptAt: now };
    case 'rejected':
      return { state: 'FAILED', attempts, nextAttemptAt: now, lastError: result.error };
    case 'retry': {
      const backoff = webhookRetryDelay(attempts, random);
      const wait = Math.min(Math.max(backoff, result.retryAfterMs ?? 0), WEBHOOK_RETRY.maxDelayMs);
      const next = nowMs + wait;
      const deadline = Date.parse(delivery.createdAt) + WEBHOOK_RETRY.giveUpAfterMs;
      if (next > deadline) return { state: 'FAILED', attempts, nextAttemptAt: now, lastError: result.error };
      return {
        state: 'PENDING',
        attempts,
        nextAttemptAt: new Date(next).toISOString(),
        lastError: result.error,
      };
    }
  }
}
