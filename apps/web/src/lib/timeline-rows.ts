import type { TaskView } from '@tork/coordinator-api/types';
import { endedAt } from './format.js';
import { buildTaskTree, childProgress, hasEnded, isFoldable, type TaskNode } from './task-tree.js';

interface Span {
  /** Epoch ms. */
  readonly start: number;
  /** Epoch ms; undefined while it runs. */
  readonly end: number | undefined;
  /** How many foldable tasks it sits under (0 at the top). */
  readonly depth: number;
}

/** A row of the timeline: one execution of a regular task, or a large each/parallel drawn as one row. */
export type TimelineRow =
  | (Span & { readonly kind: 'execution'; readonly task: TaskView })
  | (Span & {
      readonly kind: 'group';
      readonly node: TaskNode;
      readonly open: boolean;
      readonly done: number;
      readonly total: number;
    });

interface Group {
  readonly node: TaskNode;
  /** The group it sits in, if any. */
  readonly outer: Group | undefined;
}

/**
 * The rows of the timeline: every execution of a regular task that started, by start time, except that
 * the executions under a foldable each/parallel (see `isFoldable`) are drawn as one row for the task,
 * from its first child's start to its last child's end, followed by them when `isOpen` says so.
 */
export function timelineRows(
  executions: readonly TaskView[],
  isOpen: (node: TaskNode) => boolean,
): TimelineRow[] {
  const groupOf = new Map<string, TaskNode>();
  const collect = (nodes: readonly TaskNode[]) => {
    for (const node of nodes) {
      if (isFoldable(node)) for (const attempt of node.attempts) groupOf.set(attempt.id, node);
      collect(node.children);
    }
  };
  collect(buildTaskTree(executions));

  const byId = new Map(executions.map((execution) => [execution.id, execution]));
  // The innermost foldable task an execution runs under; memoised by execution id.
  const containers = new Map<string, Group | undefined>();
  const containerOf = (execution: TaskView, seen: ReadonlySet<string>): Group | undefined => {
    if (containers.has(execution.id)) return containers.get(execution.id);
    const parent = execution.parentId === undefined ? undefined : byId.get(execution.parentId);
    let container: Group | undefined;
    if (parent !== undefined && !seen.has(parent.id)) {
      const outer = containerOf(parent, new Set([...seen, parent.id]));
      const node = groupOf.get(parent.id);
      container = node === undefined ? outer : groupFor(node, outer);
    }
    containers.set(execution.id, container);
    return container;
  };
  const groups = new Map<string, Group>();
  const groupFor = (node: TaskNode, outer: Group | undefined): Group => {
    const known = groups.get(node.key);
    if (known !== undefined) return known;
    const group = { node, outer };
    groups.set(node.key, group);
    return group;
  };

  // What each level holds: the top (key '') and each group (its node's key).
  const members = new Map<string, TimelineRow[]>();
  const nested = new Map<string, Group[]>();
  const spans = new Map<Group, { start: number; end: number | undefined }>();
  const depthOf = (group: Group | undefined): number => (group === undefined ? 0 : 1 + depthOf(group.outer));
  const add = <T>(map: Map<string, T[]>, level: string, item: T) => {
    const list = map.get(level);
    if (list === undefined) map.set(level, [item]);
    else list.push(item);
  };
  for (const task of executions) {
    if (task.kind !== 'task' || task.startedAt === undefined) continue;
    const start = Date.parse(task.startedAt);
    const stamp = endedAt(task);
    const end = stamp === undefined ? undefined : Date.parse(stamp);
    const container = containerOf(task, new Set([task.id]));
    add(members, container?.node.key ?? '', {
      kind: 'execution',
      task,
      start,
      end,
      depth: depthOf(container),
    });
    for (let group = container; group !== undefined; group = group.outer) {
      const span = spans.get(group);
      if (span === undefined) {
        add(nested, group.outer?.node.key ?? '', group);
        spans.set(group, { start, end });
      } else {
        span.start = Math.min(span.start, start);
        // Undefined (running) as long as one of its executions runs.
        span.end = end === undefined || span.end === undefined ? undefined : Math.max(span.end, end);
      }
    }
  }

  const levelRows = (level: string, depth: number): TimelineRow[] => {
    const items: { readonly start: number; readonly rows: () => TimelineRow[] }[] = [
      ...(members.get(level) ?? []).map((row) => ({ start: row.start, rows: () => [row] })),
      ...(nested.get(level) ?? []).map((group) => {
        const span = spans.get(group) ?? { start: 0, end: undefined };
        const { done, total, byState } = childProgress(group.node);
        // The view may hold only the first children: the group runs until every child counted has ended.
        const running = Object.entries(byState).some(([state, count]) => count > 0 && !hasEnded({ state }));
        const own = endedAt(group.node.latest);
        const end =
          running || span.end === undefined
            ? undefined
            : Math.max(span.end, own === undefined ? span.end : Date.parse(own));
        const open = isOpen(group.node);
        const row: TimelineRow = {
          kind: 'group',
          node: group.node,
          open,
          done,
          total,
          start: span.start,
          end,
          depth,
        };
        return {
          start: span.start,
          rows: () => (open ? [row, ...levelRows(group.node.key, depth + 1)] : [row]),
        };
      }),
    ];
    // Stable: executions that started together keep the order the job view lists them in.
    return items.sort((a, b) => a.start - b.start).flatMap((item) => item.rows());
  };
  return levelRows('', 0);
}
