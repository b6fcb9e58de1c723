import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker, Unsubscribe } from '@tork/domain';

/*
 * Waiting on the scheduler's fan-out notices (Broker.subscribeEvents). A notice only says "read the
 * datastore again": it is the record, so a lost notice delays a reader by one poll, never loses.
 */

/**
 * Wakes a reader when a notice comes, when the poll interval passes, or once `until` has settled
 * (the reader's client left): from then on every wait returns at once.
 */
export class Waker {
  private pending = false;
  private readerGone = false;
  private wake: (() => void) | undefined;

  constructor(until: Promise<unknown>) {
    // Watched once here, not raced in every wait: a long follow would pile up a reaction per wait.
    void until.finally(() => {
      this.readerGone = true;
      this.wake?.();
    });
  }

  /** Whether `until` has settled. */
  get gone(): boolean {
    return this.readerGone;
  }

  notify = (): void => {
    this.pending = true;
    this.wake?.();
  };

  /** Returns at once when a notice came since the last wait. */
  async wait(pollMs: number): Promise<void> {
    if (this.pending || this.readerGone) {
      this.pending = false;
      return;
    }
    const controller = new AbortController();
    await Promise.race([
      new Promise<void>((resolve) => {
        this.wake = resolve;
      }),
      sleep(pollMs, undefined, { signal: controller.signal }).catch(() => undefined),
    ]);
    controller.abort();
    this.wake = undefined;
    this.pending = false;
  }
}

/** Calls `notify` on every notice of the topics, until the answer is called. */
export async function listen(
  broker: Broker,
  topics: readonly string[],
  notify: () => void,
): Promise<Unsubscribe> {
  const stops: Unsubscribe[] = [];
  try {
    for (const topic of topics) stops.push(await broker.subscribeEvents(topic, notify));
  } catch (error) {
    await Promise.allSettled(stops.map((stop) => stop()));
    throw error;
  }
  return async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
  };
}
