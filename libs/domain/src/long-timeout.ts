/** Node fires any timer longer than this (2^31 − 1 ms, about 24.8 days) after 1 ms instead. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface LongTimeout {
  /** Cancels the callback; harmless after it ran. */
  clear(): void;
  /** Lets the process exit while only this timer is pending. */
  unref(): LongTimeout;
}

/**
 * `setTimeout` for any delay: past {@link MAX_TIMER_DELAY_MS} it chains timers instead of firing
 * at once. A delay that is negative or not a number fires at once; Infinity never fires.
 */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  let remaining = delayMs > 0 ? delayMs : 0;
  let referenced = true;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const step = Math.min(remaining, MAX_TIMER_DELAY_MS);
    remaining -= step;
    timer = setTimeout(() => {
      if (remaining > 0) arm();
      else callback();
    }, step);
    if (!referenced) timer.unref();
  };
  arm();
  const handle: LongTimeout = {
    clear: () => {
      clearTimeout(timer);
      remaining = 0;
    },
    unref: () => {
      referenced = false;
      timer?.unref();
      return handle;
    },
  };
  return handle;
}

/** `iso` plus `ms` as an ISO-8601 time, or undefined when either is not a time a Date can hold. */
export function addToTime(iso: string, ms: number): string | undefined {
  const time = Date.parse(iso) + ms;
  // Beyond ±8.64e15 ms, toISOString throws a RangeError.
  return Number.isFinite(time) && Math.abs(time) <= 8.64e15 ? new Date(time).toISOString() : undefined;
}
