import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import {
  newJob,
  noopMetrics,
  parseJobSpec,
  QUEUE,
  silentLogger,
  type Job,
  type Metrics,
  type TaskRun,
} from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScheduler, type RunningScheduler } from './scheduler.js';

/** Counts what the scheduler records, as a dashboard would read it. */
function countingMetrics(): {
  metrics: Metrics;
  counts: Map<string, number>;
  waits: string[];
  runTimes: string[];
} {
  const counts = new Map<string, number>();
  const waits: string[] = [];
  const runTimes: string[] = [];
  const add = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const metrics: Metrics = {
    ...noopMetrics,
    jobTransition: (state) => {
      add(`job ${state}`);
    },
    taskTransition: (state, queue) => {
      add(`task ${state} ${queue}`);
    },
    observeSubmitToRunning: (queue) => {
      waits.push(queue);
    },
    observeTaskRunTime: (queue, state) => {
      runTimes.push(`${queue} ${state}`);
    },
  };
  return { metrics, counts, waits, runTimes };
}

describe('transition metrics', () => {
  let datastore: InMemoryDatastore;
  let broker: InMemoryBroker;
  let scheduler: RunningScheduler;
  let recorded: ReturnType<typeof countingMetrics>;

  beforeEach(async () => {
    datastore = new InMemoryDatastore();
    broker = new InMemoryBroker();
    recorded = countingMetrics();
    scheduler = await startScheduler({ datastore, broker, logger: silentLogger, metrics: recorded.metrics });
  });

  afterEach(async () => {
    await scheduler.stop();
    await broker.close();
  });

  async function until(jobId: string, state: string): Promise<Job> {
    for (let i = 0; i < 300; i++) {
      const job = await datastore.jobs.get(jobId);
      if (job?.state === state) return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`job ${jobId} never reached ${state}`);
  }

  it('counts each applied change once, even when a worker reports it twice', async () => {
    await broker.subscribe(
      'default',
      async (message) => {
        if (message.type !== 'task.run') return;
        const run: TaskRun = message.task;
        const at = new Date().toISOString();
        const ids = { jobId: run.jobId, taskId: run.id, nodeId: 'n1' };
        // Every report twice: a redelivery must not count again.
        for (let copy = 0; copy < 2; copy++)
          await broker.publish(QUEUE.started, { type: 'task.started', ...ids, at });
        for (let copy = 0; copy < 2; copy++)
          await broker.publish(QUEUE.completed, { type: 'task.completed', ...ids, result: 'ok', at });
      },
      { concurrency: 1 },
    );
    const job = newJob(
      parseJobSpec({
        name: 'two',
        tasks: [
          { name: 'a', image: 'x' },
          { name: 'b', image: 'x' },
        ],
      }),
      new Date().toISOString(),
    );
    await datastore.jobs.create(job);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
    await until(job.id, 'COMPLETED');
    // The last settle's effects may still be in flight when the job reads COMPLETED.
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(Object.fromEntries(recorded.counts)).toMatchObject({
      'job RUNNING': 1,
      'job COMPLETED': 1,
      'task SCHEDULED default': 2,
      'task RUNNING default': 2,
      'task COMPLETED default': 2,
    });
    expect(recorded.waits).toEqual(['default', 'default']);
    expect(recorded.runTimes).toEqual(['default COMPLETED', 'default COMPLETED']);
  });
});
