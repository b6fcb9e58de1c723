import type { TaskView } from '@tork/coordinator-api/types';
import { useState } from 'react';
import { formatDuration } from '../lib/format.js';
import { isFoldedByDefault, type TaskNode } from '../lib/task-tree.js';
import { timelineRows, type TimelineRow } from '../lib/timeline-rows.js';
import { toneOf } from './state-badge.js';

const MAX_ROWS = 200;

/**
 * Every execution that started, on one time axis: retries show as further attempts of a task, and a
 * large each or parallel as one row (done/total) that opens to its children, as in the task graph.
 */
export function Timeline(props: {
  readonly executions: readonly TaskView[];
  readonly now: number;
  readonly onSelect: (taskId: string) => void;
}) {
  // Open or folded by the user, by task key; otherwise as the graph starts it.
  const [toggled, setToggled] = useState<Readonly<Record<string, boolean>>>({});
  const isOpen = (node: TaskNode) => toggled[node.key] ?? !isFoldedByDefault(node);
  const rows = timelineRows(props.executions, isOpen).slice(0, MAX_ROWS);
  if (rows.length === 0) return <p className="muted">No execution has started yet.</p>;
  const endOf = (row: TimelineRow) => row.end ?? props.now;
  const from = Math.min(...rows.map((row) => row.start));
  const span = Math.max(from + 1, ...rows.map(endOf)) - from;
  return (
    <ol className="timeline" aria-label="Executions over time">
      {rows.map((row) => {
        const start = row.start - from;
        const length = endOf(row) - row.start;
        const task = row.kind === 'group' ? row.node.latest : row.task;
        const name = task.name ?? `task ${task.position}`;
        return (
          <li
            key={row.kind === 'group' ? `group ${row.node.key}` : task.id}
            className={row.kind === 'group' ? 'timeline-group' : undefined}
            data-depth={row.depth > 0 ? Math.min(row.depth, 3) : undefined}
          >
            <span className="timeline-head">
              {row.kind === 'group' && (
                <button
                  type="button"
                  className="timeline-toggle"
                  aria-expanded={row.open}
                  aria-label={row.open ? `Fold ${name}` : `Show all ${row.total} of ${name}`}
                  onClick={() => {
                    setToggled({ ...toggled, [row.node.key]: !row.open });
                  }}
                >
                  {row.open ? '▾' : '▸'}
                </button>
              )}
              <button
                type="button"
                className="timeline-label"
                onClick={() => {
                  props.onSelect(task.id);
                }}
              >
                {name}
                {row.kind === 'execution' && task.attempt > 1 ? ` · attempt ${task.attempt}` : ''}
              </button>
              {row.kind === 'group' && (
                <span className="timeline-progress">
                  {row.done}/{row.total} done
                </span>
              )}
            </span>
            <span className="timeline-track">
              <span
                className={`timeline-bar ${toneOf(task.state)}`}
                ref={(element) => {
                  // Set through the CSSOM: the page's CSP allows no inline style attributes.
                  if (element === null) return;
                  element.style.left = `${(start / span) * 100}%`;
                  element.style.width = `${Math.max(0.5, (length / span) * 100)}%`;
                }}
              />
            </span>
            <span className="timeline-duration">{formatDuration(length)}</span>
          </li>
        );
      })}
    </ol>
  );
}
