import { TorkError } from '@tork/domain';

/** Bounds the streams one process holds open at once (each holds a socket and a subscription). */
export class StreamLimiter {
  private open = 0;

  constructor(private readonly max: number) {}

  /** Takes a slot, or throws UNAVAILABLE (503) when every slot is taken; call the result to give it back. */
  acquire(): () => void {
    if (this.open >= this.max)
      throw new TorkError('UNAVAILABLE', `too many open streams (at most ${this.max}); try again later`, {
        retryable: true,
      });
    this.open += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open -= 1;
    };
  }

  get size(): number {
    return this.open;
  }
}
