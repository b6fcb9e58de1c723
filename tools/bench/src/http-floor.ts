import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { HttpClient, pool, row, rssSampler, submit } from './measure.js';
import { noopJob, round2, SUBMITTERS, type Outcome, type Sizes } from './scenarios.js';

/**
 * The HTTP part of a submission and nothing else: the load client sends the distributed scenario's
 * job bodies, as many and as many at once, to a Fastify route that parses each and answers with a
 * reply of the API's shape, storing nothing. Client and server share this process, so its CPU per
 * request is what HTTP alone costs a task here: a floor under the engine's per-task cost that no
 * change inside the engine lowers, to set beside the peers' whole cost per job.
 */
export async function httpFloor(size: Sizes): Promise<Outcome> {
  const server = Fastify({ logger: false });
  server.post('/jobs', (request) => {
    const spec = request.body as { name?: unknown; tasks?: unknown };
    return {
      id: randomUUID().replaceAll('-', ''),
      state: 'PENDING',
      createdAt: new Date().toISOString(),
      ...spec,
    };
  });
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  const client = new HttpClient(address, SUBMITTERS);
  const rss = rssSampler(process.pid);
  try {
    const before = process.cpuUsage();
    const latencies: number[] = [];
    const first = Date.now();
    await pool(size.jobs, SUBMITTERS, async (i) => {
      const sent = Date.now();
      await submit(client, noopJob(i));
      latencies.push(Date.now() - sent);
    });
    const seconds = (Date.now() - first) / 1000;
    const used = process.cpuUsage(before);
    latencies.sort((a, b) => a - b);
    return {
      rows: [row('http-floor', size.jobs, SUBMITTERS, seconds, latencies, rss())],
      perTask: { 'client and server CPU ms': round2((used.user + used.system) / 1000 / size.jobs) },
    };
  } finally {
    client.close();
    await server.close();
  }
}
