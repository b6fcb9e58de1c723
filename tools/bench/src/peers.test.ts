import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { graphileWorker, pgBoss } from './peers.js';
import { POSTGRES, type Outcome, type Sizes } from './scenarios.js';
import { smallSizes } from './sizes.fixture.js';

const SIZE = smallSizes(60);

async function benchDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where datname like 'tork_bench_%'`,
    );
    return rows.map((entry) => entry.datname).sort();
  } finally {
    await client.end();
  }
}

describe.each([
  ['graphile-worker', graphileWorker],
  ['pg-boss', pgBoss],
] as const)('%s', (name, scenario: (size: Sizes) => Promise<Outcome>) => {
  it('runs every job and reports a row under its name, in a database it drops', async () => {
    const before = await benchDatabases();
    const { rows } = await scenario(SIZE);
    expect(rows).toHaveLength(1);
    const [entry] = rows;
    expect(entry?.scenario).toBe(name);
    expect(entry?.tasks).toBe(SIZE.jobs);
    expect(entry?.concurrency).toBe(SIZE.concurrency);
    expect(entry?.seconds).toBeGreaterThan(0);
    expect(entry?.tasksPerSec).toBeGreaterThan(0);
    expect(entry?.p50Ms).toBeGreaterThanOrEqual(0);
    expect(entry?.p99Ms).toBeGreaterThanOrEqual(entry?.p50Ms ?? 0);
    expect(await benchDatabases()).toEqual(before);
  }, 120_000);
});
