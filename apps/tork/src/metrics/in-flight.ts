import type { Datastore, JobState } from '@tork/domain';
import type { InFlight } from './prometheus-metrics.js';

const ACTIVE_JOB_STATES = ['PENDING', 'SCHEDULED', 'RUNNING'] as const satisfies readonly JobState[];

/** What is in flight engine-wide, from indexed datastore counts (read once per scrape). */
export async function readInFlight(datastore: Datastore): Promise<InFlight> {
  const [jobCounts, tasks] = await Promise.all([
    Promise.all(ACTIVE_JOB_STATES.map((state) => datastore.jobs.count([state]))),
    datastore.tasks.countQueued(),
  ]);
  const jobs = Object.fromEntries(ACTIVE_JOB_STATES.map((state, index) => [state, jobCounts[index] ?? 0]));
  return { jobs, tasks };
}
