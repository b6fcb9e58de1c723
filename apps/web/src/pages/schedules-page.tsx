import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../api/client.js';
import { api } from '../api/endpoints.js';
import { Pager } from '../components/pager.js';
import { QueryError } from '../components/query-error.js';
import { formatTime } from '../lib/format.js';

const PAGE_SIZE = 20;

/** Scheduled jobs: pause, resume, delete. An engine without them (404) just has none. */
export function SchedulesPage() {
  const [page, setPage] = useState(1);
  const queryClient = useQueryClient();
  const schedules = useQuery({
    queryKey: ['schedules', page],
    queryFn: () => api.schedules(page, PAGE_SIZE),
    refetchInterval: 5000,
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['schedules'] });
  const act = useMutation({
    mutationFn: ({ action, id }: { action: 'pause' | 'resume' | 'delete'; id: string }) =>
      action === 'pause'
        ? api.pauseSchedule(id)
        : action === 'resume'
          ? api.resumeSchedule(id)
          : api.deleteSchedule(id),
    onSettled: refresh,
  });
  const missing = schedules.error instanceof ApiError && schedules.error.status === 404;
  return (
    <section>
      <h1>Schedules</h1>
      {missing && <p className="muted">No schedules: this engine does not run scheduled jobs.</p>}
      {schedules.error !== null && !missing && <QueryError error={schedules.error} what="the schedules" />}
      {act.error !== null && (
        <p className="notice error" role="alert">
          {act.error.message}
        </p>
      )}
      {schedules.data?.items.length === 0 && <p className="muted">No schedules.</p>}
      {schedules.data !== undefined && schedules.data.items.length > 0 && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Cron</th>
                <th scope="col">Time zone</th>
                <th scope="col">State</th>
                <th scope="col">Next runs</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {schedules.data.items.map((schedule) => (
                <tr key={schedule.id}>
                  <td>{schedule.name ?? schedule.id}</td>
                  <td className="mono">{schedule.cron}</td>
                  <td>{schedule.schedule.timezone ?? 'UTC'}</td>
                  <td>
                    <span
                      className={`state-badge ${schedule.state === 'ACTIVE' ? 'tone-good' : 'tone-muted'}`}
                    >
                      {schedule.state}
                    </span>
                  </td>
                  <td>{schedule.nextRunAt.slice(0, 3).map(formatTime).join(', ') || '–'}</td>
                  <td className="actions">
                    <button
                      type="button"
                      disabled={act.isPending}
                      onClick={() => {
                        act.mutate({
                          action: schedule.state === 'ACTIVE' ? 'pause' : 'resume',
                          id: schedule.id,
                        });
                      }}
                    >
                      {schedule.state === 'ACTIVE' ? 'Pause' : 'Resume'}
                    </button>
                    <button
                      type="button"
                      className="danger"
                      disabled={act.isPending}
                      onClick={() => {
                        act.mutate({ action: 'delete', id: schedule.id });
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager {...schedules.data} noun="schedules" onPage={setPage} />
        </>
      )}
    </section>
  );
}
