import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore, migrate, PostgresDatastore } from '@tork/datastore';
import { noopMetrics, silentLogger, type Datastore, type Job } from '@tork/domain';
import {
  describeWithService,
  dropPostgresSchema,
  jobFixture,
  postgresAvailable,
  postgresTestDsn,
  taskFixture,
  uniquePostgresName,
} from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyRetention, DEFAULT_RETENTION_OPTIONS } from './retention.js';
import { RetryTimers } from './retry-timers.js';
import type { SchedulerContext } from './scheduler-context.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2025, 5, 1);
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function retentionSuite(
  name: string,
  create: () => Promise<Datastore>,
  drop: (store: Datastore) => Promise<void>,
) {
  describe(`retention on ${name}`, () => {
    let datastore: Datastore;
    let ctx: SchedulerContext;

    beforeEach(async () => {
      datastore = await create();
      const broker = new InMemoryBroker();
      // The injected clock: NOW, whatever the machine's time.
      ctx = {
        datastore,
        broker,
        logger: silentLogger,
        now: () => new Date(NOW).toISOString(),
        retryTimers: new RetryTimers(broker, silentLogger),
        metrics: noopMetrics,
      };
    });

    afterEach(async () => {
      await drop(datastore);
    });

    const finished = async (endedAgoMs: number): Promise<Job> => {
      const job: Job = {
        ...jobFixture(undefined, ago(endedAgoMs + HOUR)),
        state: 'COMPLETED',
        completedAt: ago(endedAgoMs),
      };
      await datastore.jobs.create(job);
      return job;
    };

    it('deletes finished jobs past -retention-jobs and log entries past -retention-logs, in bounded rounds', async () => {
      const old = [await finished(2200 * HOUR), await finished(2170 * HOUR), await finished(2161 * HOUR)];
      const recent = await finished(2000 * HOUR);
      const running: Job = {
        ...jobFixture(undefined, ago(3000 * HOUR)),
        state: 'RUNNING',
        startedAt: ago(3000 * HOUR),
      };
      await datastore.jobs.create(running);
      const [task] = await datastore.tasks.create([taskFixture(recent, 0, 1, ago(2000 * HOUR))]);
      const taskId = task?.id ?? '';
      await datastore.logs.append(
        recent.id,
        [200, 190, 100, 1].map((hours, index) => ({
          taskId,
          number: index + 1,
          stream: 'stdout' as const,
          text: `${String(hours)}h ago`,
          at: ago(hours * HOUR),
        })),
      );
      const options = { ...DEFAULT_RETENTION_OPTIONS, retentionBatchSize: 1, retentionBatches: 2 };

      expect(await applyRetention(ctx, options)).toEqual({ logs: 2, jobs: 2, nodes: 0 });
      expect(await applyRetention(ctx, options)).toEqual({ logs: 0, jobs: 1, nodes: 0 });

      const left = (await datastore.jobs.list({ page: 1, size: 10 })).items.map((job) => job.id);
      expect(left.sort()).toEqual([recent.id, running.id].sort());
      for (const job of old) expect(await datastore.jobs.get(job.id)).toBeUndefined();
      const logs = await datastore.logs.byTask(taskId, { page: 1, size: 10 });
      expect(logs.items.map((entry) => entry.text)).toEqual(['100h ago', '1h ago']);
    });

    it('keeps everything with retention 0, and forgets workers silent for over an hour', async () => {
      await finished(10_000 * HOUR);
      const node = (id: string, silentMs: number) => ({
        id,
        hostname: id,
        queues: { default: 1 },
        runningTasks: 0,
        startedAt: ago(10 * HOUR),
        lastHeartbeatAt: ago(silentMs),
      });
      await datastore.nodes.upsert(node('gone', 2 * HOUR));
      await datastore.nodes.upsert(node('alive', 1_000));

      const kept = { ...DEFAULT_RETENTION_OPTIONS, retentionJobsMs: 0, retentionLogsMs: 0 };
      expect(await applyRetention(ctx, kept)).toEqual({ logs: 0, jobs: 0, nodes: 1 });
      expect((await datastore.nodes.list()).map((n) => n.id)).toEqual(['alive']);
      expect((await datastore.jobs.list({ page: 1, size: 10 })).totalItems).toBe(1);
    });
  });
}

retentionSuite(
  'InMemoryDatastore',
  () => Promise.resolve(new InMemoryDatastore()),
  (store) => store.close(),
);

const dsn = postgresTestDsn();
const schemas = new Map<Datastore, string>();
describeWithService(
  'PostgreSQL',
  await postgresAvailable(dsn),
  'start PostgreSQL on 127.0.0.1:5432',
)('PostgreSQL', () => {
  retentionSuite(
    'PostgresDatastore',
    async () => {
      const schema = uniquePostgresName('retention');
      await migrate({ dsn, schema });
      const store = new PostgresDatastore({ dsn, schema, poolSize: 2 });
      schemas.set(store, schema);
      return store;
    },
    async (store) => {
      await store.close();
      await dropPostgresSchema(dsn, schemas.get(store) ?? '');
    },
  );
});
