import { useQuery } from '@tanstack/react-query';
import { api } from '../api/endpoints.js';
import { QueryError } from '../components/query-error.js';
import { formatAge, formatTime } from '../lib/format.js';

/** The workers that sent a heartbeat: their queues, load and how long ago they were heard from. */
export function NodesPage() {
  const nodes = useQuery({ queryKey: ['nodes'], queryFn: api.nodes, refetchInterval: 2000 });
  const now = Date.now();
  return (
    <section>
      <h1>Nodes</h1>
      {nodes.error !== null && <QueryError error={nodes.error} what="the nodes" />}
      {nodes.data?.length === 0 && <p className="muted">No worker has sent a heartbeat yet.</p>}
      {nodes.data !== undefined && nodes.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Status</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Queues</th>
              <th scope="col">CPU</th>
              <th scope="col">Running tasks</th>
              <th scope="col">Started</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {nodes.data.map((node) => (
              <tr key={node.id}>
                <td>
                  {node.hostname}
                  <div className="mono muted small">{node.id}</div>
                </td>
                <td>
                  <span className={`state-badge ${node.status === 'UP' ? 'tone-good' : 'tone-bad'}`}>
                    {node.status}
                  </span>
                </td>
                <td>{formatAge(node.lastHeartbeatAt, now)}</td>
                <td>
                  {Object.entries(node.queues)
                    .map(([queue, concurrency]) => `${queue} × ${concurrency}`)
                    .join(', ')}
                </td>
                <td>{node.cpuPercent.toFixed(0)}%</td>
                <td>{node.runningTasks}</td>
                <td>{formatTime(node.startedAt)}</td>
                <td>{node.version ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
