import type { Batcher } from './batcher.js';
import type { RowChange } from './batched-statements.js';

/** Batchers by change shape: changes with the same from-states and columns share one statement. */
export type ShapedBatchers<Out> = Map<string, Batcher<RowChange, Out>>;

export function shapeOf(
  from: readonly string[],
  values: object,
): { key: string; states: string[]; columns: string[] } {
  const columns = Object.keys(values).sort();
  const states = [...from].sort();
  return { key: `${states.join(',')}|${columns.join(',')}`, states, columns };
}
