import type { JobState } from '@tork/domain';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState, type SyntheticEvent } from 'react';
import { api } from '../api/endpoints.js';
import { Pager } from '../components/pager.js';
import { QueryError } from '../components/query-error.js';
import { StateBadge } from '../components/state-badge.js';
import { elapsed, endedAt, formatDuration, formatTime } from '../lib/format.js';
import { Link, navigate, useLocation, withQuery } from '../router.js';

const PAGE_SIZE = 20;
/** The list refreshes this often: new jobs and state changes show without a reload. */
const REFRESH_MS = 2000;

const STATES: readonly JobState[] = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];

export function JobsPage() {
  const location = useLocation();
  const q = location.search.get('q') ?? '';
  const state = location.search.get('state') ?? '';
  const page = Math.max(1, Number(location.search.get('page') ?? '1') || 1);
  const [text, setText] = useState(q);
  const searchId = useId();
  const stateId = useId();
  useEffect(() => {
    setText(q);
  }, [q]);

  const jobs = useQuery({
    queryKey: ['jobs', { page, q, state }],
    queryFn: () => api.jobs({ page, size: PAGE_SIZE, q, state }),
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });
  const go = (changes: Record<string, string | number | undefined>) => {
    navigate(withQuery(location, changes), { replace: true });
  };
  const search = (event: SyntheticEvent) => {
    event.preventDefault();
    go({ q: text.trim(), page: undefined });
  };
  const now = Date.now();

  return (
    <section>
      <div className="page-head">
        <h1>Jobs</h1>
        <Link to="/submit" className="button primary">
          Submit a job
        </Link>
      </div>
      <form className="filters" role="search" onSubmit={search}>
        <label htmlFor={searchId}>Search</label>
        <input
          id={searchId}
          type="search"
          placeholder="name, description, tag:x"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
          }}
        />
        <button type="submit">Search</button>
        <label htmlFor={stateId}>State</label>
        <select
          id={stateId}
          value={state}
          onChange={(event) => {
            go({ state: event.target.value, page: undefined });
          }}
        >
          <option value="">any</option>
          {STATES.map((name) => (
            <option key={name} value={name}>
              {name.toLowerCase()}
            </option>
          ))}
        </select>
      </form>
      {jobs.error !== null && <QueryError error={jobs.error} what="the jobs" />}
      {jobs.data !== undefined && (
        <>
          <table className="jobs">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
                <th scope="col">Duration</th>
                <th scope="col">Tasks</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.items.map((job) => {
                const duration = elapsed(job.startedAt, endedAt(job), now);
                return (
                  <tr key={job.id} data-job-id={job.id}>
                    <td>
                      <Link to={`/jobs/${job.id}`}>{job.name ?? job.id}</Link>
                      {job.tags !== undefined && job.tags.length > 0 && (
                        <span className="tags">
                          {job.tags.map((tag) => (
                            <span key={tag} className="tag">
                              {tag}
                            </span>
                          ))}
                        </span>
                      )}
                    </td>
                    <td>
                      <StateBadge state={job.state} />
                    </td>
                    <td>
                      <progress max={100} value={job.progress} aria-label={`${job.progress}% done`} />
                    </td>
                    <td>{formatTime(job.createdAt)}</td>
                    <td>{duration === undefined ? '–' : formatDuration(duration)}</td>
                    <td>{job.taskCount}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {jobs.data.items.length === 0 && (
            <p className="muted">{q === '' && state === '' ? 'No jobs yet.' : 'No job matches.'}</p>
          )}
          <Pager
            {...jobs.data}
            noun="jobs"
            onPage={(next) => {
              go({ page: next === 1 ? undefined : next });
            }}
          />
        </>
      )}
    </section>
  );
}
