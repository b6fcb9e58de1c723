import type { JobView } from '@tork/coordinator-api/types';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client.js';
import { api } from '../api/endpoints.js';
import { QueryError } from '../components/query-error.js';
import { StateBadge } from '../components/state-badge.js';
import { TaskDetail } from '../components/task-detail.js';
import { TaskGraph } from '../components/task-graph.js';
import { Timeline } from '../components/timeline.js';
import { elapsed, endedAt, formatDuration, formatTime } from '../lib/format.js';
import { buildTaskTree, type TaskNode } from '../lib/task-tree.js';
import { useNow } from '../lib/use-now.js';
import { navigate, useLocation, withQuery } from '../router.js';

/** While a job runs its view is read this often. */
const REFRESH_MS = 1000;
/** How long a restarted job is read while it still shows the state it was restarted from. */
const RESTART_WAIT_MS = 60_000;

const isActive = (job: Pick<JobView, 'state'>) =>
  job.state === 'PENDING' || job.state === 'SCHEDULED' || job.state === 'RUNNING';

export function JobPage({ id }: { readonly id: string }) {
  const location = useLocation();
  const selected = location.search.get('task') ?? undefined;
  const queryClient = useQueryClient();
  // A restart is carried out by the scheduler after the API answers: until the job leaves the
  // state it was restarted from (or a minute passes), it is read again as if it ran.
  const [restartedFrom, setRestartedFrom] = useState<{ state: string; until: number }>();
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: () => api.job(id),
    refetchInterval: (query) => {
      const data = query.state.data;
      if (data === undefined || isActive(data)) return REFRESH_MS;
      const waiting = restartedFrom !== undefined && data.state === restartedFrom.state;
      return waiting && Date.now() < restartedFrom.until ? REFRESH_MS : false;
    },
  });
  const shownState = job.data?.state;
  useEffect(() => {
    if (restartedFrom !== undefined && shownState !== restartedFrom.state) setRestartedFrom(undefined);
  }, [shownState, restartedFrom]);
  const active = job.data !== undefined && isActive(job.data);
  const now = useNow(active);
  const title = job.data?.name ?? id;
  useEffect(() => {
    document.title = `${title} · Tork`;
    return () => {
      document.title = 'Tork';
    };
  }, [title]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: ['job', id] });
  const cancel = useMutation({ mutationFn: () => api.cancel(id), onSettled: refresh });
  const restart = useMutation({
    mutationFn: () => api.restart(id),
    onSuccess: () => {
      if (job.data !== undefined)
        setRestartedFrom({ state: job.data.state, until: Date.now() + RESTART_WAIT_MS });
    },
    onSettled: refresh,
  });
  const again = useMutation({
    mutationFn: () => api.duplicate(id),
    onSuccess: (copy) => {
      navigate(`/jobs/${copy.id}`);
    },
  });
  const inView =
    job.data === undefined || selected === undefined ? undefined : findExecution(job.data, selected);
  // A child past the first ones a job view holds: read on its own.
  const alone = useQuery({
    queryKey: ['task', selected],
    queryFn: () => api.task(selected ?? ''),
    enabled: selected !== undefined && job.data !== undefined && inView === undefined,
    refetchInterval: active ? REFRESH_MS : false,
  });
  const found =
    inView ?? (alone.data === undefined ? undefined : { task: alone.data, attempts: [alone.data] });
  const select = (taskId: string | undefined) => {
    navigate(withQuery(location, { task: taskId }), { replace: true });
  };

  if (job.error !== null && job.data === undefined) {
    if (job.error instanceof ApiError && job.error.status === 404)
      return (
        <section>
          <h1>Job not found</h1>
          <p>No job has the id {id}, or it is not yours to see.</p>
        </section>
      );
    return <QueryError error={job.error} what="the job" />;
  }
  if (job.data === undefined) return <p className="muted">Loading the job…</p>;
  const view = job.data;
  const duration = elapsed(view.startedAt, endedAt(view), now);
  const actionError = [cancel.error, restart.error, again.error].find((error) => error !== null);

  return (
    <div className={found === undefined ? 'job-page' : 'job-page with-detail'}>
      <section className="job-main" aria-labelledby="job-title">
        <header className="job-head">
          <h1 id="job-title">{title}</h1>
          <StateBadge state={view.state} />
          <div className="actions">
            {active && (
              <button
                type="button"
                className="danger"
                disabled={cancel.isPending}
                onClick={() => {
                  cancel.mutate();
                }}
              >
                Cancel
              </button>
            )}
            {(view.state === 'FAILED' || view.state === 'CANCELLED') && (
              <button
                type="button"
                disabled={restart.isPending}
                onClick={() => {
                  restart.mutate();
                }}
              >
                Restart
              </button>
            )}
            <button
              type="button"
              disabled={again.isPending}
              onClick={() => {
                again.mutate();
              }}
            >
              Run again
            </button>
          </div>
        </header>
        {actionError != null && (
          <p className="notice error" role="alert">
            {actionError.message}
          </p>
        )}
        {view.description !== undefined && <p className="description">{view.description}</p>}
        <progress
          className="job-progress"
          max={100}
          value={view.progress}
          aria-label={`${view.progress}% done`}
        />
        <dl className="facts">
          <dt>Id</dt>
          <dd className="mono">{view.id}</dd>
          <dt>Created</dt>
          <dd>{formatTime(view.createdAt)}</dd>
          <dt>Started</dt>
          <dd>{formatTime(view.startedAt)}</dd>
          <dt>Ended</dt>
          <dd>{formatTime(endedAt(view))}</dd>
          <dt>Duration</dt>
          <dd>{duration === undefined ? '–' : formatDuration(duration)}</dd>
          <dt>Progress</dt>
          <dd>
            {Math.round(view.progress)}% · task {Math.max(view.position, 0)} of {view.taskCount}
          </dd>
          {view.createdBy !== undefined && (
            <>
              <dt>Submitted by</dt>
              <dd>
                {view.createdBy.name} ({view.createdBy.kind})
              </dd>
            </>
          )}
        </dl>
        <Values title="Inputs" values={view.context.inputs} />
        <Values title="Secrets" values={view.context.secrets} />
        {view.result !== undefined && (
          <>
            <h2>Result</h2>
            <pre className="job-result">{view.result}</pre>
          </>
        )}
        {view.error !== undefined && (
          <>
            <h2>Error</h2>
            <pre className="job-error">{view.error}</pre>
          </>
        )}
        <h2>Tasks</h2>
        <TaskGraph
          jobId={view.id}
          executions={view.execution}
          selected={selected}
          onSelect={select}
          now={now}
        />
        <h2>Timeline</h2>
        <Timeline executions={view.execution} now={now} onSelect={select} />
      </section>
      {found !== undefined && (
        <TaskDetail
          key={found.task.id}
          task={found.task}
          attempts={found.attempts}
          now={now}
          onSelect={select}
          onClose={() => {
            select(undefined);
          }}
        />
      )}
    </div>
  );
}

function Values({
  title,
  values,
}: {
  readonly title: string;
  readonly values: Readonly<Record<string, string>>;
}) {
  const entries = Object.entries(values);
  if (entries.length === 0) return null;
  return (
    <>
      <h2>{title}</h2>
      <dl className="facts values">
        {entries.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd className="mono">{value}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

/** The selected execution and the attempts of its task. */
function findExecution(view: JobView, taskId: string) {
  const search = (nodes: readonly TaskNode[]): TaskNode | undefined => {
    for (const node of nodes) {
      if (node.attempts.some((attempt) => attempt.id === taskId)) return node;
      const inner = search(node.children);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  const node = search(buildTaskTree(view.execution));
  const task = node?.attempts.find((attempt) => attempt.id === taskId);
  return node === undefined || task === undefined ? undefined : { task, attempts: node.attempts };
}
