import type { TaskView } from '@tork/coordinator-api/types';
import { endedAt, formatDuration } from '../lib/format.js';
import { toneOf } from './state-badge.js';

const MAX_ROWS = 200;

/** Every execution that started, on one time axis: retries show as further attempts of a task. */
export function Timeline(props: {
  readonly executions: readonly TaskView[];
  readonly now: number;
  readonly onSelect: (taskId: string) => void;
}) {
  const started = props.executions
    .filter((task) => task.startedAt !== undefined && task.kind === 'task')
    .sort((a, b) => Date.parse(a.startedAt ?? '') - Date.parse(b.startedAt ?? ''))
    .slice(0, MAX_ROWS);
  if (started.length === 0) return <p className="muted">No execution has started yet.</p>;
  const from = Math.min(...started.map((task) => Date.parse(task.startedAt ?? '')));
  const to = Math.max(
    from + 1,
    ...started.map((task) => {
      const end = endedAt(task);
      return end === undefined ? props.now : Date.parse(end);
    }),
  );
  const span = to - from;
  return (
    <ol className="timeline" aria-label="Executions over time">
      {started.map((task) => {
        const start = Date.parse(task.startedAt ?? '') - from;
        const end = endedAt(task);
        const length = (end === undefined ? props.now : Date.parse(end)) - from - start;
        return (
          <li key={task.id}>
            <button
              type="button"
              className="timeline-label"
              onClick={() => {
                props.onSelect(task.id);
              }}
            >
              {task.name ?? `task ${task.position}`}
              {task.attempt > 1 ? ` · attempt ${task.attempt}` : ''}
            </button>
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
