import type { TaskView } from '@tork/coordinator-api/types';
import { describe, expect, it } from 'vitest';
import { buildTaskTree, childProgress, isFoldedByDefault } from './task-tree.js';

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

describe('buildTaskTree', () => {
  it('orders top-level tasks by position and nests the children of composite tasks', () => {
    const each = execution({ position: 2, kind: 'each', name: 'each', state: 'RUNNING', childCount: 3 });
    const tree = buildTaskTree([
      execution({ position: 3, name: 'bye', state: 'CREATED' }),
      each,
      execution({ position: 1, name: 'hello' }),
      execution({ position: 2, parentId: each.id, name: 'item 2', state: 'RUNNING' }),
      execution({ position: 1, parentId: each.id, name: 'item 1' }),
    ]);

    expect(tree.map((node) => node.latest.name)).toEqual(['hello', 'each', 'bye']);
    expect(tree[1]?.children.map((node) => node.latest.name)).toEqual(['item 1', 'item 2']);
    expect(childProgress(tree[1]!)).toEqual({ done: 1, total: 3, byState: { COMPLETED: 1, RUNNING: 1 } });
  });

  it('groups retries of one task as its attempts, the latest shown', () => {
    const tree = buildTaskTree([
      execution({ position: 1, name: 'flaky', attempt: 2, state: 'COMPLETED' }),
      execution({ position: 1, name: 'flaky', attempt: 1, state: 'FAILED', error: 'exit code 1' }),
    ]);

    expect(tree).toHaveLength(1);
    expect(tree[0]?.latest.attempt).toBe(2);
    expect(tree[0]?.attempts.map((attempt) => attempt.state)).toEqual(['FAILED', 'COMPLETED']);
  });

  it("counts children by the API's childCounts when it sends them, and folds a large each", () => {
    const each = execution({
      position: 1,
      kind: 'each',
      childCount: 500,
      childCounts: { COMPLETED: 120, RUNNING: 2, CREATED: 378 },
    });
    const [node] = buildTaskTree([each, execution({ position: 1, parentId: each.id })]);

    expect(childProgress(node!)).toMatchObject({ done: 120, total: 500 });
    expect(isFoldedByDefault(node!, 20)).toBe(true);
    expect(
      isFoldedByDefault(
        buildTaskTree([execution({ position: 1, kind: 'parallel', childCount: 500 })])[0]!,
        20,
      ),
    ).toBe(false);
  });
});
