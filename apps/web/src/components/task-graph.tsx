import type { TaskView } from '@tork/coordinator-api/types';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/endpoints.js';
import { elapsed, endedAt, formatDuration } from '../lib/format.js';
import {
  buildTaskTree,
  childProgress,
  isFoldable,
  isFoldedByDefault,
  type TaskNode,
} from '../lib/task-tree.js';
import { Link } from '../router.js';
import { Pager } from './pager.js';
import { StateBadge, toneOf } from './state-badge.js';

const CHILD_PAGE_SIZE = 50;

interface GraphProps {
  readonly jobId: string;
  readonly executions: readonly TaskView[];
  readonly selected: string | undefined;
  readonly onSelect: (taskId: string) => void;
  readonly now: number;
}

/**
 * The job's tasks: top-level ones in order, the children of parallel, each and subjob tasks nested
 * under them; each node a button (keyboard: Tab, Enter) coloured by state, with its duration.
 */
export function TaskGraph(props: GraphProps) {
  const tree = buildTaskTree(props.executions);
  if (tree.length === 0) return <p className="muted">No task has been created yet.</p>;
  return (
    <ol className="task-graph" aria-label="Tasks">
      {tree.map((node) => (
        <GraphNode key={node.key} node={node} {...props} />
      ))}
    </ol>
  );
}

function GraphNode(props: GraphProps & { readonly node: TaskNode }) {
  const { node, selected, onSelect, now } = props;
  const task = node.latest;
  const [open, setOpen] = useState(!isFoldedByDefault(node));
  const composite = task.kind !== 'task';
  const progress = composite ? childProgress(node) : undefined;
  const duration = elapsed(task.startedAt, endedAt(task), now);
  return (
    <li className={`graph-node ${toneOf(task.state)}`}>
      <button
        type="button"
        className="node-button"
        aria-pressed={selected === task.id}
        data-task-name={task.name}
        data-state={task.state}
        onClick={() => {
          onSelect(task.id);
        }}
      >
        <span className="node-name">{task.name ?? `task ${task.position}`}</span>
        {composite && <span className="node-kind">{task.kind}</span>}
        <StateBadge state={task.state} />
        {progress !== undefined && progress.total > 0 && (
          <span className="node-progress">
            {progress.done}/{progress.total} done
          </span>
        )}
        {node.attempts.length > 1 && <span className="node-attempts">attempt {task.attempt}</span>}
        <span className="node-duration">{duration === undefined ? '' : formatDuration(duration)}</span>
      </button>
      {task.subjobId !== undefined && (
        <Link className="subjob-link" to={`/jobs/${task.subjobId}`}>
          open the sub-job
        </Link>
      )}
      {progress !== undefined && progress.total > 0 && (task.kind === 'each' || task.kind === 'parallel') && (
        <ChildList
          {...props}
          open={open}
          onToggle={setOpen}
          total={progress.total}
          byState={progress.byState}
        />
      )}
    </li>
  );
}

function ChildList(
  props: GraphProps & {
    readonly node: TaskNode;
    readonly open: boolean;
    readonly onToggle: (open: boolean) => void;
    readonly total: number;
    readonly byState: Record<string, number>;
  },
) {
  const { node, open, onToggle, total, byState } = props;
  // The job view holds the first children of each composite task; more are paged from the API.
  const complete = node.children.length >= total;
  return (
    <div className="children">
      {isFoldable(node) && (
        <div className="fold">
          <span className="state-counts">
            {Object.entries(byState)
              .filter(([, count]) => count > 0)
              .map(([state, count]) => `${count} ${state.toLowerCase()}`)
              .join(' · ')}
          </span>
          <button
            type="button"
            aria-expanded={open}
            onClick={() => {
              onToggle(!open);
            }}
          >
            {open ? 'Fold' : `Show all ${total}`}
          </button>
        </div>
      )}
      {open &&
        (complete ? (
          <ol>
            {node.children.map((child) => (
              <GraphNode key={child.key} {...props} node={child} />
            ))}
          </ol>
        ) : (
          <PagedChildren {...props} parentId={node.latest.id} />
        ))}
    </div>
  );
}

function PagedChildren(props: GraphProps & { readonly parentId: string }) {
  const [page, setPage] = useState(1);
  const children = useQuery({
    queryKey: ['tasks', props.jobId, props.parentId, page],
    queryFn: () => api.tasks(props.jobId, props.parentId, page, CHILD_PAGE_SIZE),
    refetchInterval: 2000,
  });
  if (children.data === undefined) return <p className="muted">Loading the children…</p>;
  return (
    <>
      <ol>
        {buildTaskTree(children.data.items.map((item) => ({ ...item, parentId: undefined }))).map((child) => (
          <GraphNode key={child.key} {...props} node={child} />
        ))}
      </ol>
      <Pager {...children.data} noun="children" onPage={setPage} />
    </>
  );
}
