import { useQuery } from '@tanstack/react-query';
import { api } from '../api/endpoints.js';
import { QueryError } from '../components/query-error.js';

/** The broker's queues: what waits in each, and who consumes it. */
export function QueuesPage() {
  const queues = useQuery({ queryKey: ['queues'], queryFn: api.queues, refetchInterval: 2000 });
  return (
    <section>
      <h1>Queues</h1>
      {queues.error !== null && <QueryError error={queues.error} what="the queues" />}
      {queues.data !== undefined && (
        <table>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Size</th>
              <th scope="col">Subscribers</th>
              <th scope="col">Unacknowledged</th>
            </tr>
          </thead>
          <tbody>
            {queues.data.map((queue) => (
              <tr key={queue.name}>
                <td className="mono">{queue.name}</td>
                <td>{queue.size}</td>
                <td>{queue.subscribers}</td>
                <td>{queue.unacked ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
