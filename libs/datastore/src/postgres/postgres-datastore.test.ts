import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { jobChange, jobOfTick, silentLogger, taskChange, type Datastore, type Task } from '@tork/domain';
import {
  childFixture,
  createPostgresDatabase,
  credentialStoreContract,
  datastoreContract,
  describeWithService,
  dropPostgresDatabase,
  dropPostgresSchema,
  jobFixture,
  must,
  postgresAvailable,
  postgresTestDsn,
  richSpec,
  scheduledJobFixture,
  taskFixture,
  timestamp,
  uniquePostgresName,
} from '@tork/testing';
import { openDatabase } from './connection.js';
import * as scheduleNextFire from './migrations/0012-schedule-next-fire.js';
import { migrate } from './migrations/migrate.js';
import { PostgresDatastore } from './postgres-datastore.js';

const dsn = postgresTestDsn();
/** Every migration, in the order they apply. */
const MIGRATIONS = [
  '0001-initial',
  '0002-task-published',
  '0003-credentials',
  '0004-scheduled-published-index',
  '0005-task-tree',
  '0006-progress-hand-backs',
  '0007-node-cpu-version',
  '0008-search-retention',
  '0009-scheduled-jobs',
  '0010-webhooks',
  '0011-webhook-progress',
  '0012-schedule-next-fire',
];
const describePostgres = describeWithService(
  'PostgreSQL',
  await postgresAvailable(dsn),
  'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
);

/** A datastore on a schema of its own, migrated; `drop` closes it and drops the schema. */
async function freshDatastore(
  options: { poolSize?: number } = {},
): Promise<{ store: PostgresDatastore; schema: string }> {
  const schema = uniquePostgresName('test');
  await migrate({ dsn, schema });
  return { store: new PostgresDatastore({ dsn, schema, poolSize: options.poolSize ?? 4 }), schema };
}

async function query<R extends object>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function tables(url: string, schema: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    'select table_name as name from information_schema.tables where table_schema = $1 order by 1',
    [schema],
  );
  return rows.map((row) => row.name);
}

async function executedMigrations(url: string, schema: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    `select name from ${schema}.kysely_migration order by name`,
  );
  return rows.map((row) => row.name);
}

/** Creates one execution through the batched insert; answers the stored one. */
async function createOne(store: PostgresDatastore, task: Task): Promise<Task> {
  return must((await store.tasks.create([task]))[0]);
}

describePostgres('PostgresDatastore', () => {
  const schemas = new Map<Datastore, string>();
  datastoreContract(
    'PostgresDatastore',
    async () => {
      const { store, schema } = await freshDatastore();
      schemas.set(store, schema);
      return store;
    },
    async (store) => {
      await dropPostgresSchema(dsn, must(schemas.get(store), 'the schema of the datastore'));
      schemas.delete(store);
    },
  );

  credentialStoreContract(
    'PostgresDatastore',
    async () => {
      const { store, schema } = await freshDatastore({ poolSize: 2 });
      schemas.set(store, schema);
      return store;
    },
    async (store) => {
      await dropPostgresSchema(dsn, must(schemas.get(store), 'the schema of the datastore'));
      schemas.delete(store);
    },
  );

  describe('migrate', () => {
    let database: { name: string; dsn: string };

    beforeEach(async () => {
      database = await createPostgresDatabase(dsn);
    });

    afterEach(async () => {
      await dropPostgresDatabase(dsn, database.name);
    });

    it('applies every migration to a fresh database, then nothing when run again', async () => {
      expect(await migrate({ dsn: database.dsn })).toEqual(MIGRATIONS);
      expect(await migrate({ dsn: database.dsn })).toEqual([]);

      expect(await tables(database.dsn, 'public')).toEqual([
        'api_keys',
        'event_cursors',
        'job_events',
        'job_vars',
        'jobs',
        'kysely_migration',
        'kysely_migration_lock',
        'nodes',
        'scheduled_jobs',
        'task_logs',
        'tasks',
        'users',
        'webhook_deliveries',
      ]);
      expect(await executedMigrations(database.dsn, 'public')).toEqual(MIGRATIONS);
      const store = new PostgresDatastore({ dsn: database.dsn, poolSize: 1 });
      const job = jobFixture();
      await store.jobs.create(job);
      expect(await store.jobs.get(job.id)).toEqual(job);
      await store.close();
    });

    it('applies each migration once when several processes migrate a fresh database at once', async () => {
      const runs = await Promise.all(Array.from({ length: 4 }, () => migrate({ dsn: database.dsn })));

      expect(runs.flat()).toEqual(MIGRATIONS);
      expect(await executedMigrations(database.dsn, 'public')).toEqual(MIGRATIONS);
    });

    it('migrates a named schema on its own, creating it, and leaves the default one alone', async () => {
      expect(await migrate({ dsn: database.dsn, schema: 'tenant_a' })).toEqual(MIGRATIONS);
      expect(await tables(database.dsn, 'public')).toEqual([]);
      expect(await tables(database.dsn, 'tenant_a')).toContain('jobs');

      // The default schema is migrated on its own, although tenant_a already has kysely's tables.
      expect(await migrate({ dsn: database.dsn })).toEqual(MIGRATIONS);
      expect(await migrate({ dsn: database.dsn, schema: 'tenant_a' })).toEqual([]);
      expect(await executedMigrations(database.dsn, 'public')).toEqual(MIGRATIONS);
    });

    it('gives the active scheduled jobs of before 0012 a next fire time already past: due at the next look', async () => {
      await migrate({ dsn: database.dsn });
      const store = new PostgresDatastore({ dsn: database.dsn, poolSize: 1 });
      const fired = scheduledJobFixture({}, 0);
      const fresh = scheduledJobFixture({}, 1000);
      const paused = scheduledJobFixture({}, 2000);
      for (const scheduled of [fired, fresh, paused]) await store.schedules.create(scheduled);
      const at = timestamp(5000);
      await store.schedules.fire(fired.id, at, jobOfTick(fired, at, at), timestamp(6000));
      await store.schedules.setState(paused.id, 'ACTIVE', 'PAUSED', timestamp(3000));
      // Back to before 0012, then 0012 again.
      const db = openDatabase<unknown>({ dsn: database.dsn, poolSize: 1, logger: silentLogger });
      try {
        await scheduleNextFire.down(db);
        await scheduleNextFire.up(db);
      } finally {
        await db.destroy();
      }

      expect((await store.schedules.get(fired.id))?.nextFireAt).toBe(timestamp(5000));
      expect((await store.schedules.get(fresh.id))?.nextFireAt).toBe(timestamp(1000));
      expect((await store.schedules.get(paused.id))?.nextFireAt).toBeUndefined();
      expect((await store.schedules.due(timestamp(10_000), 10)).map((scheduled) => scheduled.id)).toEqual([
        fresh.id,
        fired.id,
      ]);
      await store.close();
    });

    it('rejects a schema name that would need quoting, and a server it cannot reach', async () => {
      await expect(migrate({ dsn: database.dsn, schema: 'Robert"; drop' })).rejects.toThrow(
        'invalid postgres schema',
      );
      await expect(
        migrate({ dsn: 'postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2' }),
      ).rejects.toThrow('migrating PostgreSQL failed: connect ECONNREFUSED');
    });
  });

  describe('connection settings', () => {
    const url = new URL(dsn);
    let schema: string;

    beforeEach(async () => {
      schema = uniquePostgresName('test');
      await migrate({ dsn, schema });
    });

    afterEach(async () => {
      await dropPostgresSchema(dsn, schema);
    });

    it("connects with the seed's key=value DSN form", async () => {
      const applicationName = uniquePostgresName('tork');
      const keyValue = [
        `host=${url.hostname}`,
        `port=${url.port === '' ? '5432' : url.port}`,
        `user='${decodeURIComponent(url.username)}'`,
        ...(url.password === ''
          ? []
          : [`password='${decodeURIComponent(url.password).replaceAll("'", "\\'")}'`]),
        `dbname=${decodeURIComponent(url.pathname.slice(1))}`,
        'sslmode=disable',
        `application_name=${applicationName}`,
      ].join(' ');
      const store = new PostgresDatastore({ dsn: keyValue, schema, poolSize: 1 });

      await store.healthCheck();
      const sessions = await query(dsn, 'select 1 from pg_stat_activity where application_name = $1', [
        applicationName,
      ]);
      expect(sessions).toHaveLength(1);
      await store.close();
    });

    it('keeps timestamps exact whatever the session time zone', async () => {
      const zoned = new URL(dsn);
      zoned.searchParams.set('options', '-c TimeZone=Asia/Kolkata');
      const store = new PostgresDatastore({ dsn: zoned.toString(), schema, poolSize: 1 });
      const job = {
        ...jobFixture(richSpec(), '2024-02-29T23:59:59.999Z'),
        scheduledAt: '1999-12-31T18:30:00.001Z',
      };
      await store.jobs.create(job);

      expect(await store.jobs.get(job.id)).toEqual(job);
      await store.close();
    });

    it('rejects the health check when the server cannot be reached or the database does not exist', async () => {
      const unreachable = new PostgresDatastore({ dsn: 'host=127.0.0.1 port=1 connect_timeout=2' });
      await expect(unreachable.healthCheck()).rejects.toThrow();
      await unreachable.close();

      const missing = new URL(dsn);
      missing.pathname = `/${uniquePostgresName('missing')}`;
      const nowhere = new PostgresDatastore({ dsn: missing.toString() });
      await expect(nowhere.healthCheck()).rejects.toThrow('does not exist');
      await nowhere.close();
    });

    it('stores NUL characters, which PostgreSQL text cannot hold, as U+FFFD', async () => {
      const store = new PostgresDatastore({ dsn, schema, poolSize: 1 });
      const job = jobFixture({ tasks: [{ image: 'busybox', env: { BINARY: 'a\u0000b' } }] });
      await store.jobs.create(job);
      const task = await createOne(store, taskFixture(job));
      await store.tasks.update(task.id, taskChange('start', timestamp(500)));
      const completed = await store.tasks.update(
        task.id,
        taskChange('complete', timestamp(1_000), { result: 'bin\u0000ary' }),
      );
      await store.logs.append(job.id, [
        { taskId: task.id, number: 1, stream: 'stdout', text: '\u0000', at: timestamp() },
      ]);

      expect(completed?.result).toBe('bin\uFFFDary');
      expect(must(await store.jobs.get(job.id)).tasks[0]?.env).toEqual({ BINARY: 'a\uFFFDb' });
      expect((await store.logs.byTask(task.id, { page: 1, size: 1 })).items[0]?.text).toBe('\uFFFD');
      await store.close();
    });
  });

  describe('two datastores on one database, as two replicas', () => {
    let a: PostgresDatastore;
    let b: PostgresDatastore;
    let schema: string;

    beforeEach(async () => {
      ({ store: a, schema } = await freshDatastore({ poolSize: 5 }));
      b = new PostgresDatastore({ dsn, schema, poolSize: 5 });
    });

    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
      await dropPostgresSchema(dsn, schema);
    });

    it('apply a change that both race to apply once', async () => {
      const job = jobFixture();
      await a.jobs.create(job);
      const task = await createOne(b, taskFixture(job));
      await a.tasks.update(task.id, taskChange('start', timestamp(1_000), { nodeId: 'node-1' }));
      await b.jobs.update(job.id, jobChange('start', timestamp(1_000)));

      const taskOutcomes = await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          (n % 2 === 0 ? a : b).tasks.update(
            task.id,
            n % 4 < 2
              ? taskChange('complete', timestamp(2_000 + n), { result: `result ${n}` })
              : taskChange('fail', timestamp(2_000 + n), { error: `error ${n}` }),
          ),
        ),
      );
      const jobOutcomes = await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          (n % 2 === 0 ? b : a).jobs.update(
            job.id,
            jobChange(n % 3 === 0 ? 'cancel' : 'complete', timestamp(n)),
          ),
        ),
      );

      const taskWinners = taskOutcomes.filter((outcome) => outcome !== undefined);
      expect(taskWinners).toHaveLength(1);
      expect(await a.tasks.get(task.id)).toEqual(taskWinners[0]);
      expect(await b.tasks.get(task.id)).toEqual(taskWinners[0]);
      const jobWinners = jobOutcomes.flatMap((applied, n) => (applied ? [n] : []));
      expect(jobWinners).toHaveLength(1);
      const winner = jobWinners[0] ?? -1;
      expect(await b.jobs.get(job.id)).toMatchObject({
        state: winner % 3 === 0 ? 'CANCELLED' : 'COMPLETED',
        [winner % 3 === 0 ? 'cancelledAt' : 'completedAt']: timestamp(winner),
      });
    });

    it('settle siblings from both replicas at once: exactly one sees the last child settled, no slot is given twice', async () => {
      const job = jobFixture();
      await a.jobs.create(job);
      const parent = await createOne(a, {
        ...taskFixture(job),
        kind: 'each',
        state: 'RUNNING',
        childCount: 60,
        pendingChildren: 40,
      });
      const children = await a.tasks.create(
        Array.from({ length: 60 }, (_, index) =>
          childFixture(parent, index, { state: index < 40 ? 'RUNNING' : 'CREATED' }),
        ),
      );
      const running = children.slice(0, 40);

      // Two replicas, each settling its half in bursts that group commit batches together.
      const outcomes = await Promise.all(
        running.map((child, n) =>
          (n % 2 === 0 ? a : b).tasks.settle(
            child.id,
            taskChange('complete', timestamp(n), { result: String(n) }),
          ),
        ),
      );
      const counts = outcomes.map((outcome) => must(outcome.parent).pendingChildren);
      expect(new Set(counts).size).toBe(40);
      expect(counts.filter((count) => count === 0)).toHaveLength(1);
      const promoted = outcomes.flatMap((outcome) =>
        outcome.promoted === undefined ? [] : [outcome.promoted.id],
      );
      expect(promoted.sort()).toEqual(
        children
          .slice(40)
          .map((child) => child.id)
          .sort(),
      );
      expect((await b.tasks.get(parent.id))?.pendingChildren).toBe(0);
    });

    it('keep one execution when both create it at once', async () => {
      const job = jobFixture();
      await a.jobs.create(job);
      const created: Task[] = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          createOne(n % 2 === 0 ? a : b, taskFixture(job, 0, 1, timestamp(n))),
        ),
      );

      expect(new Set(created.map((task) => task.id)).size).toBe(1);
      expect(await b.tasks.list(job.id)).toEqual([created[0]]);
    });

    it('change many rows at once from both sides, in opposite orders: each row once, none lost', async () => {
      const jobs = Array.from({ length: 60 }, (_, n) => jobFixture(undefined, timestamp(n)));
      await Promise.all(jobs.map((job) => a.jobs.create(job)));
      const tasks = await Promise.all(jobs.map((job) => createOne(a, taskFixture(job))));
      const start = (store: PostgresDatastore, task: Task): Promise<Task | undefined> =>
        store.tasks.update(task.id, taskChange('schedule', timestamp(5_000)));

      // Concurrent calls of one shape go as batches: a's in one order, b's in the other.
      const [fromA, fromB] = await Promise.all([
        Promise.all(tasks.map((task) => start(a, task))),
        Promise.all([...tasks].reverse().map((task) => start(b, task))),
      ]);
      const winners = [...fromA, ...fromB].filter((outcome) => outcome !== undefined);
      expect(winners.map((task) => task.id).sort()).toEqual(tasks.map((task) => task.id).sort());
      const stored = await Promise.all(tasks.map((task) => b.tasks.get(task.id)));
      expect(stored.map((task) => task?.state)).toEqual(tasks.map(() => 'SCHEDULED'));
    });

    it('fail only the call with a bad row when it shares a batch with good ones', async () => {
      const jobs = Array.from({ length: 10 }, (_, n) => jobFixture(undefined, timestamp(n)));
      await Promise.all(jobs.map((job) => a.jobs.create(job)));
      const orphan = taskFixture(jobFixture()); // its job was never stored: a foreign-key violation

      const outcomes = await Promise.allSettled([
        ...jobs.map((job) => createOne(a, taskFixture(job))),
        createOne(a, orphan),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual([...jobs.map(() => 'fulfilled'), 'rejected']);
      for (const job of jobs) expect(await b.tasks.list(job.id)).toHaveLength(1);
      expect(await b.tasks.get(orphan.id)).toBeUndefined();
    });
  });
});
