import type { TaskView } from '@tork/coordinator-api/types';
import { describe, expect, it } from 'vitest';
import { FOLD_LIMIT, isFoldable, isFoldedByDefault, type TaskNode } from './task-tree.js';
import { timelineRows, type TimelineRow } from './timeline-rows.js';

let next = 0;
function execution(fields: Partial<TaskView> & Pick<TaskView, 'position'>): TaskView {
  next += 1;
  return {
    id: `t${next}`,
    jobId: 'j',
    kind: 'task',
    attempt: 1,
    state: 'COMPLETED',
    queue: 'default',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const asDefault = (node: TaskNode) => !isFoldedByDefault(node);
const describeRow = (row: TimelineRow) =>
  row.kind === 'group'
    ? `${'  '.repeat(row.depth)}[${row.node.latest.name ?? ''} ${row.done}/${row.total}${row.open ? ' open' : ''}]`
    : `${'  '.repeat(row.depth)}${row.task.name ?? ''}${row.task.attempt > 1 ? ` #${row.task.attempt}` : ''}`;

/** An each of `count` items, item n started at second n and (when `ended`) ended a second later. */
function eachOf(
  count: number,
  options: { readonly ended: number; readonly start?: number; readonly kind?: 'each' | 'parallel' },
) {
  const start = options.start ?? 10;
  const each = execution({
    position: 2,
    kind: options.kind ?? 'each',
    name: 'items',
    state: options.ended === count ? 'COMPLETED' : 'RUNNING',
    startedAt: at(start),
    childCount: count,
    ...(options.ended === count ? { completedAt: at(start + count + 5) } : {}),
  });
  const children = Array.from({ length: count }, (_, n) =>
    execution({
      position: n + 1,
      parentId: each.id,
      name: `item ${n}`,
      state: n < options.ended ? 'COMPLETED' : 'RUNNING',
      startedAt: at(start + n),
      ...(n < options.ended ? { completedAt: at(start + n + 1) } : {}),
    }),
  );
  return { each, children };
}

describe('timelineRows', () => {
  it('lists the executions of regular tasks by start, retries as further attempts', () => {
    const rows = timelineRows(
      [
        execution({ position: 2, name: 'second', startedAt: at(5), completedAt: at(6) }),
        execution({ position: 1, name: 'flaky', startedAt: at(1), failedAt: at(2), state: 'FAILED' }),
        execution({ position: 1, name: 'flaky', attempt: 2, startedAt: at(3), state: 'RUNNING' }),
        execution({ position: 3, name: 'waiting', state: 'CREATED' }),
      ],
      asDefault,
    );

    expect(rows.map(describeRow)).toEqual(['flaky', 'flaky #2', 'second']);
    expect(rows[1]).toMatchObject({ start: Date.parse(at(3)), end: undefined });
  });

  it('keeps the children of a small each as rows of their own', () => {
    const { each, children } = eachOf(FOLD_LIMIT, { ended: FOLD_LIMIT });
    const rows = timelineRows([each, ...children], asDefault);

    expect(rows).toHaveLength(FOLD_LIMIT);
    expect(rows.every((row) => row.kind === 'execution' && row.depth === 0)).toBe(true);
  });

  it('folds an each with more children than the graph folds into one row, from its first start to its last end', () => {
    const { each, children } = eachOf(FOLD_LIMIT + 3, { ended: FOLD_LIMIT + 3 });
    const before = execution({ position: 1, name: 'before', startedAt: at(1), completedAt: at(2) });
    const after = execution({ position: 3, name: 'after', startedAt: at(40), completedAt: at(41) });
    const rows = timelineRows([after, each, ...children, before], asDefault);

    expect(rows.map(describeRow)).toEqual(['before', '[items 15/15]', 'after']);
    expect(rows[1]).toMatchObject({
      kind: 'group',
      start: Date.parse(at(10)),
      // The each's own end, just after its last child's (item 14 ended at second 25).
      end: Date.parse(at(30)),
      depth: 0,
    });
  });

  it('runs a folded each until every child counted has ended, though the view holds only the first', () => {
    const { each, children } = eachOf(30, { ended: 20 });
    const view = { ...each, childCounts: { COMPLETED: 20, RUNNING: 1, SCHEDULED: 9 } };
    // The job view holds the first 20 children, all ended.
    const rows = timelineRows([view, ...children.slice(0, 20)], asDefault);

    expect(rows).toEqual([expect.objectContaining({ kind: 'group', done: 20, total: 30, end: undefined })]);
  });

  it('shows the children under their folded row once it is opened, nested folds folded', () => {
    const { each, children } = eachOf(FOLD_LIMIT + 1, { ended: FOLD_LIMIT + 1 });
    const inner = eachOf(FOLD_LIMIT + 2, { ended: 0, start: 100 });
    const innerEach = { ...inner.each, parentId: each.id, position: FOLD_LIMIT + 2, name: 'inner' };
    const innerChildren = inner.children.map((child) => ({ ...child, parentId: innerEach.id }));
    const opened = (node: TaskNode) => node.latest.name === 'items';
    const rows = timelineRows([each, ...children, innerEach, ...innerChildren], opened);

    expect(rows.map(describeRow)).toEqual([
      '[items 13/14 open]',
      ...children.map((child) => `  ${child.name ?? ''}`),
      '  [inner 0/14]',
    ]);
    expect(rows.at(-1)).toMatchObject({ start: Date.parse(at(100)), end: undefined, depth: 1 });
  });

  it('uses the graph’s rule: a large parallel can be folded but starts open, a large each starts folded', () => {
    const parallel = eachOf(FOLD_LIMIT + 1, { ended: 0, kind: 'parallel' });
    const rows = timelineRows([parallel.each, ...parallel.children], asDefault);

    expect(rows[0]).toMatchObject({ kind: 'group', open: true, done: 0, total: FOLD_LIMIT + 1 });
    expect(rows).toHaveLength(1 + FOLD_LIMIT + 1);
    const [group] = rows;
    if (group?.kind !== 'group') throw new Error('no group row');
    expect(isFoldable(group.node)).toBe(true);
    expect(isFoldedByDefault(group.node)).toBe(false);
  });
});
