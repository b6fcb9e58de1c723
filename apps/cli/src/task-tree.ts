import { ENDED_TASK_STATES, type Execution } from './api-types.js';

/** A task execution with the executions that run under it (parallel, each and subjob children). */
export interface TaskNode {
  readonly execution: Execution;
  readonly children: readonly TaskNode[];
}

/**
 * The tree of a job's executions by `parentId`, siblings by position, one node per task (its latest
 * attempt). `subjobTasks` gives a subjob task's own job's executions, nested under it.
 */
export function buildTaskTree(
  executions: readonly Execution[],
  subjobTasks: ReadonlyMap<string, readonly Execution[]> = new Map(),
  depth = 0,
): TaskNode[] {
  const latest = new Map<string, Execution>();
  for (const execution of executions) {
    const key = `${execution.parentId ?? ''}/${execution.position ?? execution.id}`;
    const seen = latest.get(key);
    if (seen === undefined || (execution.attempt ?? 0) >= (seen.attempt ?? 0)) latest.set(key, execution);
  }
  const byParent = new Map<string, Execution[]>();
  for (const execution of latest.values()) {
    const siblings = byParent.get(execution.parentId ?? '') ?? [];
    siblings.push(execution);
    byParent.set(execution.parentId ?? '', siblings);
  }
  const ids = new Set([...latest.values()].map((execution) => execution.id));
  const nodeOf = (execution: Execution): TaskNode => {
    const sub = execution.subjobId === undefined ? undefined : subjobTasks.get(execution.subjobId);
    const children =
      sub !== undefined && depth < 3
        ? buildTaskTree(sub, subjobTasks, depth + 1)
        : (byParent.get(execution.id) ?? []).sort(byPosition).map(nodeOf);
    return { execution, children };
  };
  // Roots: top-level executions, and any whose parent is not in the list.
  const roots = [...latest.values()].filter(
    (execution) => execution.parentId === undefined || !ids.has(execution.parentId),
  );
  return roots.sort(byPosition).map(nodeOf);
}

function byPosition(a: Execution, b: Execution): number {
  return (a.position ?? 0) - (b.position ?? 0);
}

/** A composite task's children done and in all, from its counts (or its listed children). */
export function childProgress(node: TaskNode): { done: number; total: number } | undefined {
  const counts = node.execution.childCounts;
  if (counts !== undefined) {
    const done = Object.entries(counts)
      .filter(([state]) => ENDED_TASK_STATES.includes(state))
      .reduce((sum, [, count]) => sum + count, 0);
    const counted = Object.values(counts).reduce((sum, count) => sum + count, 0);
    return { done, total: Math.max(node.execution.childCount ?? 0, counted) };
  }
  if (node.children.length === 0) return undefined;
  const done = node.children.filter((child) => ENDED_TASK_STATES.includes(child.execution.state)).length;
  return { done, total: Math.max(node.execution.childCount ?? 0, node.children.length) };
}
