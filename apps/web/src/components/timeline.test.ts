import type { TaskView } from '@tork/coordinator-api/types';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { FOLD_LIMIT } from '../lib/task-tree.js';
import { Timeline } from './timeline.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const base = { jobId: 'j', kind: 'task', attempt: 1, queue: 'default', createdAt: at(0) } as const;

const render = (executions: readonly TaskView[]) =>
  renderToStaticMarkup(
    createElement(Timeline, { executions, now: Date.parse(at(60)), onSelect: () => undefined }),
  );

/** What a reader sees in each row (no DOM in unit tests: the markup is read as text). */
const rowsOf = (html: string): string[] =>
  [...html.matchAll(/<li[^>]*>(.*?)<\/li>/g)].map(([, inner]) =>
    (inner ?? '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );

describe('Timeline', () => {
  it('draws a large each as one row with done/total and a control to show its children', () => {
    const each: TaskView = {
      ...base,
      id: 'each',
      kind: 'each',
      position: 1,
      name: 'items',
      state: 'RUNNING',
      startedAt: at(1),
      childCount: FOLD_LIMIT + 8,
      childCounts: { COMPLETED: 5, RUNNING: 1, SCHEDULED: FOLD_LIMIT + 2 },
    };
    const children = Array.from({ length: 6 }, (_, n): TaskView => ({
      ...base,
      id: `item-${n}`,
      parentId: 'each',
      position: n + 1,
      name: `item ${n}`,
      state: n < 5 ? 'COMPLETED' : 'RUNNING',
      startedAt: at(10 + n),
      ...(n < 5 ? { completedAt: at(11 + n) } : {}),
    }));
    const html = render([each, ...children]);

    expect(rowsOf(html)).toEqual([`▸ items 5/${FOLD_LIMIT + 8} done 50 s`]);
    expect(html).toContain('aria-expanded="false"');
    expect(html).toContain(`aria-label="Show all ${FOLD_LIMIT + 8} of items"`);
  });

  it('keeps one row per attempt of a regular task', () => {
    expect(
      rowsOf(
        render([
          {
            ...base,
            id: 'a1',
            position: 1,
            name: 'flaky',
            state: 'FAILED',
            startedAt: at(1),
            failedAt: at(3),
          },
          { ...base, id: 'a2', position: 1, name: 'flaky', attempt: 2, state: 'RUNNING', startedAt: at(4) },
        ]),
      ),
    ).toEqual(['flaky 2.0 s', 'flaky · attempt 2 56 s']);
  });

  it('says so when nothing has started', () => {
    expect(render([{ ...base, id: 'a', position: 1, state: 'CREATED' }])).toBe(
      '<p class="muted">No execution has started yet.</p>',
    );
  });
});
