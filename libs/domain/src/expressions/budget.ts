import { ExprError } from './errors.js';
import { CHARS_PER_STEP, ITEMS_PER_STEP, MAX_STEPS } from './limits.js';

/** Counts the work of one evaluation so that every evaluation ends, whatever its input. */
export class Budget {
  private spent = 0;

  constructor(readonly max: number = MAX_STEPS) {}

  get used(): number {
    return this.spent;
  }

  step(count = 1): void {
    this.spent += count;
    if (this.spent > this.max) {
      throw new ExprError(`evaluation exceeds its budget of ${this.max} steps`);
    }
  }

  items(count: number): void {
    this.step(count / ITEMS_PER_STEP);
  }

  chars(count: number): void {
    this.step(count / CHARS_PER_STEP);
  }
}
