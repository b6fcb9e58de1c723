import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import { noopMetrics, QUEUE, silentLogger, tickJobId, type Message } from '@tork/domain';
import { scheduledJobFixture, waitUntil } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryTimers } from './retry-timers.js';
import type { SchedulerContext } from './scheduler-context.js';
import { startScheduleTicker, type RunningTicker } from './schedule-ticker.js';

const START = Date.UTC(2025, 0, 1, 8, 0, 0);

describe('the schedule ticker', () => {
  let datastore: InMemoryDatastore;
  let broker: InMemoryBroker;
  let clock: number;
  let queued: Message[];
  let tickers: RunningTicker[];

  const context = (): SchedulerContext => ({
    datastore,
    broker,
    logger: silentLogger,
    now: () => new Date(clock).toISOString(),
    retryTimers: new RetryTimers(broker, silentLogger),
    metrics: noopMetrics,
  });
  // Looks every few milliseconds: the injected clock, not the timer, decides which tick is due.
  const startTicker = (maxSleepMs = 5) => tickers.push(startScheduleTicker(context(), { maxSleepMs }));
  const scheduledJobs = async (scheduledJobId: string) =>
    (await datastore.jobs.list({ page: 1, size: 100, scheduledJobId })).items;

  beforeEach(async () => {
    datastore = new InMemoryDatastore();
    broker = new InMemoryBroker();
    clock = START;
    queued = [];
    tickers = [];
    await broker.subscribe(
      QUEUE.jobs,
      (message) => {
        queued.push(message);
        return Promise.resolve();
      },
      { concurrency: 10 },
    );
  });

  afterEach(async () => {
    await Promise.all(tickers.map((ticker) => ticker.stop()));
    await broker.close();
  });

  it('fires only the latest of the ticks it missed, once, and queues its job', async () => {
    // Every minute, created at 08:00; the scheduler looks first at 11:00:42 (180 ticks missed).
    const scheduled = {
      ...scheduledJobFixture(),
      schedule: { cron: '* * * * *' },
      activeSince: new Date(START).toISOString(),
    };
    await datastore.schedules.create(scheduled);
    clock = START + 3 * 3_600_000 + 42_000;

    startTicker();
    await waitUntil('the tick queued', () => queued.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const jobs = await scheduledJobs(scheduled.id);
    expect(jobs.map((job) => job.id)).toEqual([tickJobId(scheduled.id, '2025-01-01T11:00:00.000Z')]);
    expect(queued).toEqual([{ type: 'job.submitted', jobId: jobs[0]?.id }]);

    clock += 20_000; // 11:01:02: the next minute's tick.
    await waitUntil('the next tick queued', () => queued.length === 2);
    expect((await scheduledJobs(scheduled.id)).map((job) => job.id)).toContain(
      tickJobId(scheduled.id, '2025-01-01T11:01:00.000Z'),
    );
  });

  it('fires nothing while paused, and no tick of the pause once resumed', async () => {
    const scheduled = scheduledJobFixture({}, 0);
    await datastore.schedules.create({ ...scheduled, activeSince: new Date(START).toISOString() });
    await datastore.schedules.setState(scheduled.id, 'ACTIVE', 'PAUSED', new Date(START).toISOString());
    startTicker();
    clock = START + 10_000;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(queued).toEqual([]);

    await datastore.schedules.setState(scheduled.id, 'PAUSED', 'ACTIVE', new Date(clock).toISOString());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(queued).toEqual([]);
    clock += 1000;
    await waitUntil('a tick after the resume', () => queued.length === 1);
    expect((await scheduledJobs(scheduled.id)).map((job) => job.id)).toEqual([
      tickJobId(scheduled.id, new Date(clock).toISOString()),
    ]);
  });

  it('fires every due one at once, more than one look reads', async () => {
    const many = Array.from({ length: 150 }, () => ({
      ...scheduledJobFixture(),
      activeSince: new Date(START).toISOString(),
    }));
    for (const scheduled of many) await datastore.schedules.create(scheduled);
    clock = START + 1000;

    // A look a minute: the second look's jobs come only at once if the ticker does not wait for it.
    startTicker(60_000);
    await waitUntil('every due tick queued', () => queued.length === 150, { timeoutMs: 900 });

    const jobs = await datastore.jobs.list({ page: 1, size: 1 });
    expect(jobs.totalItems).toBe(150);
  });

  it('waits its usual sleep, not at once, when none of a full look could fire', async () => {
    const many = Array.from({ length: 150 }, () => ({
      ...scheduledJobFixture(),
      activeSince: new Date(START).toISOString(),
    }));
    for (const scheduled of many) await datastore.schedules.create(scheduled);
    clock = START + 1000;
    let looks = 0;
    const due = datastore.schedules.due.bind(datastore.schedules);
    datastore.schedules.due = (now, limit) => {
      looks += 1;
      return due(now, limit);
    };
    datastore.schedules.fire = () => Promise.reject(new Error('the datastore refuses writes'));

    startTicker(100);
    await new Promise((resolve) => setTimeout(resolve, 450));
    // One look, then one every 100 ms: a look again at once would make hundreds.
    expect(looks).toBeLessThanOrEqual(8);
    await waitUntil('the failed ones tried again', () => looks >= 2, { timeoutMs: 5_000 });
    expect(queued).toEqual([]);
  });

  it('sleeps until the next stored fire time, however long its longest sleep', async () => {
    // On the real clock, every second; due at once (as when just resumed): the first look moves it on.
    const now = new Date().toISOString();
    const scheduled = { ...scheduledJobFixture(), activeSince: now, nextFireAt: now };
    await datastore.schedules.create(scheduled);
    tickers.push(
      startScheduleTicker({ ...context(), now: () => new Date().toISOString() }, { maxSleepMs: 60_000 }),
    );

    await waitUntil('its first tick queued', () => queued.length === 1, { timeoutMs: 1500 });
    await waitUntil('its next tick queued', () => queued.length === 2, { timeoutMs: 1500 });
    const jobs = await scheduledJobs(scheduled.id);
    expect(jobs).toHaveLength(2);
  });

  it('creates one job per tick however many tickers run', async () => {
    const scheduled = scheduledJobFixture();
    await datastore.schedules.create({ ...scheduled, activeSince: new Date(START).toISOString() });
    for (let n = 0; n < 3; n++) startTicker();

    for (let second = 1; second <= 5; second++) {
      clock = START + second * 1000;
      await waitUntil(`tick ${second}`, () => queued.length === second);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(queued).toHaveLength(5);
    expect((await scheduledJobs(scheduled.id)).map((job) => job.id).sort()).toEqual(
      [1, 2, 3, 4, 5]
        .map((second) => tickJobId(scheduled.id, new Date(START + second * 1000).toISOString()))
        .sort(),
    );
  });
});
