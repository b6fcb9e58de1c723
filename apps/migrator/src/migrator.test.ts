import { afterEach, beforeEach, expect, it } from 'vitest';
import { PostgresDatastore } from '@tork/datastore';
import type { Logger } from '@tork/domain';
import {
  describeWithService,
  dropPostgresSchema,
  jobFixture,
  postgresAvailable,
  postgresTestDsn,
  uniquePostgresName,
} from '@tork/testing';
import { runMigrations } from './migrator.js';

const dsn = postgresTestDsn();
const describePostgres = describeWithService(
  'PostgreSQL',
  await postgresAvailable(dsn),
  'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
);

interface Line {
  readonly level: string;
  readonly fields: object;
  readonly message: string;
}

/** A logger that keeps what it is told at info level and above, to read back. */
function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields, message });
    };
  const logger: Logger = {
    debug: () => undefined,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

describePostgres('runMigrations', () => {
  let schema: string;

  beforeEach(() => {
    schema = uniquePostgresName('migrator');
  });

  afterEach(async () => {
    await dropPostgresSchema(dsn, schema);
  });

  it('applies and logs each pending migration, then reports the schema up to date', async () => {
    const first: Line[] = [];
    expect(await runMigrations({ dsn, schema, logger: recordingLogger(first) })).toEqual([
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
    ]);
    for (const migration of [
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
    ])
      expect(first).toContainEqual({
        level: 'info',
        fields: { migration },
        message: `applied migration ${migration}`,
      });
    expect(first.at(-1)?.message).toBe('applied 12 migration(s)');

    const second: Line[] = [];
    expect(await runMigrations({ dsn, schema, logger: recordingLogger(second) })).toEqual([]);
    expect(second.map((line) => line.message)).toEqual([
      'migrating the PostgreSQL schema',
      'the schema was already up to date',
    ]);

    const store = new PostgresDatastore({ dsn, schema, poolSize: 1 });
    const job = jobFixture();
    await store.jobs.create(job);
    expect(await store.jobs.get(job.id)).toEqual(job);
    await store.close();
  });

  it('fails with the reason when the database cannot be reached', async () => {
    await expect(
      runMigrations({
        dsn: 'host=127.0.0.1 port=1 user=postgres connect_timeout=2',
        logger: recordingLogger([]),
      }),
    ).rejects.toThrow('migrating PostgreSQL failed: connect ECONNREFUSED');
  });
});
