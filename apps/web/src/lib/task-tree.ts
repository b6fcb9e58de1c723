import type { TaskView } from '@tork/coordinator-api/types';

/** An `each` or `parallel` with more children than this can be folded (done/total) in the graph and timeline. */
export const FOLD_LIMIT = 12;

/** A task of the graph: its executions (attempts), the latest first shown, and what runs under it. */
export interface TaskNode {
  /** Stable across refreshes: parent and position. */
  readonly key: string;
  readonly latest: TaskView;
  /** Oldest first. */
  readonly attempts: readonly TaskView[];
  readonly children: readonly TaskNode[];
}

/**
 * The executions of a job as a tree: siblings by position, the attempts of one position grouped
 * (a retry is another execution of the same task), children under the attempt they ran for.
 */
export function buildTaskTree(executions: readonly TaskView[]): TaskNode[] {
  const byParent = new Map<string, TaskView[]>();
  for (const execution of executions) {
    const parent = execution.parentId ?? '';
    const siblings = byParent.get(parent) ?? [];
    siblings.push(execution);
    byParent.set(parent, siblings);
  }
  const build = (parent: string, seen: ReadonlySet<string>): TaskNode[] => {
    const byPosition = new Map<number, TaskView[]>();
    for (const execution of byParent.get(parent) ?? []) {
      const attempts = byPosition.get(execution.position) ?? [];
      attempts.push(execution);
      byPosition.set(execution.position, attempts);
    }
    return [...byPosition.entries()]
      .sort(([a], [b]) => a - b)
      .map(([position, attempts]) => {
        const sorted = [...attempts].sort((a, b) => a.attempt - b.attempt);
        const latest = sorted.at(-1) as TaskView;
        // Children of any attempt, the latest's first: a composite that ran again has its new children.
        const children = sorted
          .filter((attempt) => !seen.has(attempt.id))
          .reverse()
          .map((attempt) => build(attempt.id, new Set([...seen, attempt.id])))
          .find((list) => list.length > 0);
        return { key: `${parent}:${position}`, latest, attempts: sorted, children: children ?? [] };
      });
  };
  return build('', new Set());
}

const ENDED = ['COMPLETED', 'SKIPPED', 'FAILED', 'CANCELLED'];

/** How far the children of a composite task are: by state, and done (completed or skipped) of all. */
export function childProgress(node: TaskNode): {
  done: number;
  total: number;
  byState: Record<string, number>;
} {
  const byState: Record<string, number> = { ...(node.latest.childCounts ?? {}) };
  if (node.latest.childCounts === undefined)
    for (const child of node.children) byState[child.latest.state] = (byState[child.latest.state] ?? 0) + 1;
  const counted = Object.values(byState).reduce((sum, count) => sum + count, 0);
  const total = Math.max(node.latest.childCount ?? 0, counted);
  const done = (byState['COMPLETED'] ?? 0) + (byState['SKIPPED'] ?? 0);
  return { done, total, byState };
}

/** An `each` or `parallel` with more children than `limit`: drawn with a control that folds it to done/total. */
export function isFoldable(node: TaskNode, limit = FOLD_LIMIT): boolean {
  const kind = node.latest.kind;
  return (kind === 'each' || kind === 'parallel') && childProgress(node).total > limit;
}

/** An `each` with more children than `limit` is drawn folded, as done/total, until it is opened. */
export function isFoldedByDefault(node: TaskNode, limit = FOLD_LIMIT): boolean {
  return node.latest.kind === 'each' && isFoldable(node, limit);
}

/** Whether an execution has ended (its log will not grow). */
export function hasEnded(task: { readonly state: string }): boolean {
  return ENDED.includes(task.state);
}
