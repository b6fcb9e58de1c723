import type { TaskView } from '@tork/coordinator-api/types';
import { elapsed, endedAt, formatDuration, formatTime } from '../lib/format.js';
import { LogView } from './log-view.js';
import { StateBadge } from './state-badge.js';

/** What a task execution is, as the engine records it: not its spec. */
const RECORD_FIELDS = new Set([
  'id',
  'jobId',
  'parentId',
  'position',
  'kind',
  'attempt',
  'state',
  'queue',
  'item',
  'nodeId',
  'result',
  'error',
  'failure',
  'progress',
  'handBacks',
  'createdAt',
  'scheduledAt',
  'startedAt',
  'completedAt',
  'failedAt',
  'cancelledAt',
  'runAt',
  'steps',
  'childCount',
  'childCounts',
  'subjobId',
]);

/** The spec part of an execution (what was submitted, secrets masked by the API), as JSON. */
export function specOf(task: TaskView): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(task).filter(([field]) => !RECORD_FIELDS.has(field))),
    null,
    2,
  );
}

/** The selected execution: its state, timings, failure, result, spec, attempts and its log. */
export function TaskDetail(props: {
  readonly task: TaskView;
  readonly attempts: readonly TaskView[];
  readonly now: number;
  readonly onSelect: (taskId: string) => void;
  readonly onClose: () => void;
}) {
  const { task, attempts, now } = props;
  const duration = elapsed(task.startedAt, endedAt(task), now);
  return (
    <section className="task-detail" aria-labelledby="task-detail-title">
      <header>
        <h2 id="task-detail-title">{task.name ?? `task ${task.position}`}</h2>
        <StateBadge state={task.state} />
        <button type="button" className="close" onClick={props.onClose}>
          Close
        </button>
      </header>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{task.kind}</dd>
        <dt>Attempt</dt>
        <dd>{task.attempt}</dd>
        <dt>Queue</dt>
        <dd>{task.queue}</dd>
        {task.nodeId !== undefined && (
          <>
            <dt>Node</dt>
            <dd>{task.nodeId}</dd>
          </>
        )}
        <dt>Started</dt>
        <dd>{formatTime(task.startedAt)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(endedAt(task))}</dd>
        <dt>Duration</dt>
        <dd>{duration === undefined ? '–' : formatDuration(duration)}</dd>
        {task.failure !== undefined && (
          <>
            <dt>Failure kind</dt>
            <dd className="failure-kind">
              {task.failure.kind}
              {task.failure.exitCode === undefined ? '' : ` (exit code ${task.failure.exitCode})`}
            </dd>
          </>
        )}
        {task.item !== undefined && (
          <>
            <dt>Item</dt>
            <dd>
              {task.item.name} #{task.item.index}: {JSON.stringify(task.item.value)}
            </dd>
          </>
        )}
      </dl>
      {task.error !== undefined && (
        <>
          <h3>Error</h3>
          <pre className="task-error">{task.error}</pre>
        </>
      )}
      {task.result !== undefined && (
        <>
          <h3>Result</h3>
          <pre className="task-result">{task.result}</pre>
        </>
      )}
      {attempts.length > 1 && (
        <>
          <h3>Attempts</h3>
          <ol className="attempts">
            {attempts.map((attempt) => (
              <li key={attempt.id}>
                <button
                  type="button"
                  aria-pressed={attempt.id === task.id}
                  onClick={() => {
                    props.onSelect(attempt.id);
                  }}
                >
                  Attempt {attempt.attempt}
                </button>{' '}
                <StateBadge state={attempt.state} /> {attempt.error ?? ''}
              </li>
            ))}
          </ol>
        </>
      )}
      {task.kind === 'task' && (
        <>
          <h3>Log</h3>
          <LogView taskId={task.id} />
        </>
      )}
      <details>
        <summary>Spec</summary>
        <pre className="task-spec">{specOf(task)}</pre>
      </details>
    </section>
  );
}
