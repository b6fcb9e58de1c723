import { describe, expect, it } from 'vitest';
import {
  jobOfTick,
  newId,
  newScheduledJob,
  parseScheduledJob,
  TorkError,
  type Datastore,
  type Permission,
  type ScheduledJob,
} from '@tork/domain';
import { timestamp } from './fixtures.js';

/** A new ACTIVE scheduled job that fires every second, created `offsetMs` after the fixtures' base time. */
export function scheduledJobFixture(
  fields: { name?: string; permissions?: Permission[]; creator?: string; timezone?: string } = {},
  offsetMs = 0,
): ScheduledJob {
  const parsed = parseScheduledJob({
    name: fields.name ?? 'every second',
    schedule: {
      cron: '* * * * * *',
      ...(fields.timezone === undefined ? {} : { timezone: fields.timezone }),
    },
    tasks: [{ name: 'tick', image: 'busybox', run: 'echo tick' }],
    secrets: { TOKEN: 'enc:v1:sealed' },
    ...(fields.permissions === undefined ? {} : { permissions: fields.permissions }),
  });
  return newScheduledJob(
    parsed,
    newId(),
    timestamp(offsetMs),
    fields.creator === undefined ? undefined : { kind: 'user', name: fields.creator },
  );
}

/** The datastore contract for scheduled jobs. Registered by datastoreContract. */
export function schedulesContract(store: () => Datastore): void {
  const stored = async (...args: Parameters<typeof scheduledJobFixture>): Promise<ScheduledJob> => {
    const scheduled = scheduledJobFixture(...args);
    await store().schedules.create(scheduled);
    return scheduled;
  };

  /** Fires the tick `seconds` after the base time, at that time; the next one is a second later. */
  const fire = (scheduled: ScheduledJob, seconds: number): Promise<boolean> => {
    const at = timestamp(seconds * 1000);
    return store().schedules.fire(
      scheduled.id,
      at,
      jobOfTick(scheduled, at, at),
      timestamp(seconds * 1000 + 1000),
    );
  };
  /** The ids of the scheduled jobs due `seconds` after the base time, at most `limit`. */
  const due = async (seconds: number, limit = 10): Promise<string[]> =>
    (await store().schedules.due(timestamp(seconds * 1000), limit)).map((scheduled) => scheduled.id);

  describe('scheduled jobs', () => {
    it('stores a scheduled job as given, and refuses a second one with its id (CONFLICT)', async () => {
      const scheduled = await stored({ creator: 'erin', timezone: 'Europe/Paris' });

      expect(await store().schedules.get(scheduled.id)).toEqual(scheduled);
      expect(await store().schedules.get(newId())).toBeUndefined();
      const again = store().schedules.create(scheduled);
      await expect(again).rejects.toBeInstanceOf(TorkError);
      await expect(again).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    it('lists them newest first, a page at a time, only those the viewer may see', async () => {
      await stored({ name: 'a' }, 1);
      await stored({ name: 'b', permissions: [{ user: 'frank' }], creator: 'erin' }, 2);
      await stored({ name: 'c', permissions: [{ role: 'user' }] }, 3);
      await stored({ name: 'd', permissions: [{ role: 'admin' }] }, 4);
      const names = async (query: Parameters<Datastore['schedules']['list']>[0]) => {
        const page = await store().schedules.list(query);
        return { names: page.items.map((item) => item.spec.name), totalItems: page.totalItems };
      };

      expect(await names({ page: 1, size: 3 })).toEqual({ names: ['d', 'c', 'b'], totalItems: 4 });
      expect(await names({ page: 2, size: 3 })).toEqual({ names: ['a'], totalItems: 4 });
      expect(await names({ page: 1, size: 10, visibleTo: { name: 'dave', role: 'user' } })).toEqual({
        names: ['c', 'a'],
        totalItems: 2,
      });
      expect(await names({ page: 1, size: 10, visibleTo: { name: 'erin', role: 'user' } })).toMatchObject({
        names: ['c', 'b', 'a'],
      });
      expect(await names({ page: 1, size: 10, visibleTo: { name: 'frank', role: 'user' } })).toMatchObject({
        names: ['c', 'b', 'a'],
      });
      expect(await names({ page: 1, size: 10, visibleTo: { name: 'root', role: 'admin' } })).toMatchObject({
        totalItems: 4,
      });
    });

    it('pauses and resumes by compare-and-set; a resume starts a new active period', async () => {
      const scheduled = await stored();
      const other = await stored({}, 1);

      expect(await store().schedules.setState(scheduled.id, 'ACTIVE', 'PAUSED', timestamp(5000))).toBe(true);
      expect(await store().schedules.setState(scheduled.id, 'ACTIVE', 'PAUSED', timestamp(5000))).toBe(false);
      expect(await due(60)).toEqual([other.id]);
      expect(await store().schedules.get(scheduled.id)).toMatchObject({
        state: 'PAUSED',
        activeSince: scheduled.activeSince,
      });

      expect(await store().schedules.setState(scheduled.id, 'PAUSED', 'ACTIVE', timestamp(9000))).toBe(true);
      expect(await store().schedules.get(scheduled.id)).toMatchObject({
        state: 'ACTIVE',
        activeSince: timestamp(9000),
      });
      expect((await due(60)).sort()).toEqual([scheduled.id, other.id].sort());
      expect(await store().schedules.setState(newId(), 'PAUSED', 'ACTIVE', timestamp(9000))).toBe(false);
    });

    it('fires a tick once: stores its job with the schedule and records the tick', async () => {
      const scheduled = await stored();

      expect(await fire(scheduled, 3)).toBe(true);
      expect(await fire(scheduled, 3)).toBe(false);
      // An earlier tick, late: never after a later one.
      expect(await fire(scheduled, 2)).toBe(false);
      expect(await fire(scheduled, 4)).toBe(true);

      expect(await store().schedules.get(scheduled.id)).toMatchObject({ lastFiredAt: timestamp(4000) });
      const jobs = await store().jobs.list({ page: 1, size: 10, scheduledJobId: scheduled.id });
      expect(jobs.totalItems).toBe(2);
      expect(jobs.items[0]).toMatchObject({
        state: 'PENDING',
        schedule: { id: scheduled.id, cron: '* * * * * *' },
      });
      const job = await store().jobs.get(jobs.items[0]?.id ?? '');
      expect(job).toMatchObject({
        schedule: { id: scheduled.id, cron: '* * * * * *' },
        secrets: { TOKEN: 'enc:v1:sealed' },
      });
      expect(await store().events.list(job?.id ?? '', { limit: 10 })).toMatchObject([{ state: 'PENDING' }]);
    });

    it('of many concurrent fires of one tick, exactly one fires and one job is stored', async () => {
      const scheduled = await stored();

      const fired = await Promise.all(Array.from({ length: 8 }, () => fire(scheduled, 7)));

      expect(fired.filter(Boolean)).toHaveLength(1);
      expect((await store().jobs.list({ page: 1, size: 10, scheduledJobId: scheduled.id })).totalItems).toBe(
        1,
      );
    });

    it('fires no tick of a paused or deleted scheduled job', async () => {
      const paused = await stored();
      const deleted = await stored({}, 1);
      await store().schedules.setState(paused.id, 'ACTIVE', 'PAUSED', timestamp(1000));

      expect(await fire(paused, 3)).toBe(false);
      expect(await store().schedules.delete(deleted.id)).toBe(true);
      expect(await store().schedules.delete(deleted.id)).toBe(false);
      expect(await fire(deleted, 3)).toBe(false);
      expect(await store().schedules.get(deleted.id)).toBeUndefined();
      expect((await store().jobs.list({ page: 1, size: 10 })).totalItems).toBe(0);
    });

    it('reads only the due ones, the earliest first, at most `limit`, and tells when the next is due', async () => {
      // Every second: each one is next due at the first second after its creation.
      const first = await stored({}, 0);
      const last = await stored({}, 5000);
      const second = await stored({}, 2000);

      expect(first.nextFireAt).toBe(timestamp(1000));
      expect(await due(0.5)).toEqual([]);
      expect(await due(3)).toEqual([first.id, second.id]);
      expect(await due(10)).toEqual([first.id, second.id, last.id]);
      expect(await due(10, 2)).toEqual([first.id, second.id]);
      expect(await store().schedules.nextFireAfter(timestamp(0))).toBe(timestamp(1000));
      expect(await store().schedules.nextFireAfter(timestamp(1000))).toBe(timestamp(3000));
      expect(await store().schedules.nextFireAfter(timestamp(6000))).toBeUndefined();
    });

    it('moves a fired one on to its next fire time: a scheduler that lost the tick no longer reads it', async () => {
      const scheduled = await stored();
      // Two schedulers read it due, and both fire its tick.
      expect(await due(1)).toEqual([scheduled.id]);
      expect(await due(1)).toEqual([scheduled.id]);

      expect(await fire(scheduled, 1)).toBe(true);
      expect(await fire(scheduled, 1)).toBe(false);

      expect(await due(1.5)).toEqual([]);
      expect(await store().schedules.get(scheduled.id)).toMatchObject({
        lastFiredAt: timestamp(1000),
        nextFireAt: timestamp(2000),
      });
      expect(await store().schedules.nextFireAfter(timestamp(1000))).toBe(timestamp(2000));
      expect(await due(2)).toEqual([scheduled.id]);
    });

    it('never reads a paused one; a resumed one is due at once until moved on, by compare-and-set', async () => {
      const scheduled = await stored();
      await store().schedules.setState(scheduled.id, 'ACTIVE', 'PAUSED', timestamp(500));
      expect(await due(60)).toEqual([]);
      expect(await store().schedules.nextFireAfter(timestamp(0))).toBeUndefined();
      expect(await store().schedules.advance(scheduled.id, timestamp(1000), timestamp(2000))).toBe(false);

      await store().schedules.setState(scheduled.id, 'PAUSED', 'ACTIVE', timestamp(9000));
      expect(await store().schedules.get(scheduled.id)).toMatchObject({ nextFireAt: timestamp(9000) });
      expect(await due(9)).toEqual([scheduled.id]);
      // Moved from a time it no longer has: another scheduler moved it first.
      expect(await store().schedules.advance(scheduled.id, timestamp(8000), timestamp(10000))).toBe(false);
      expect(await store().schedules.advance(scheduled.id, timestamp(9000), timestamp(10000))).toBe(true);
      expect(await store().schedules.advance(scheduled.id, timestamp(9000), timestamp(10000))).toBe(false);
      expect(await due(9.5)).toEqual([]);
      expect(await store().schedules.get(scheduled.id)).toMatchObject({ nextFireAt: timestamp(10000) });
      expect(await store().schedules.advance(newId(), timestamp(10000), timestamp(11000))).toBe(false);
    });

    it('never reads one with no tick to come', async () => {
      const moved = await stored();
      const fired = await stored({}, 1);

      expect(await store().schedules.advance(moved.id, timestamp(1000), undefined)).toBe(true);
      const at = timestamp(1000);
      expect(await store().schedules.fire(fired.id, at, jobOfTick(fired, at, at), undefined)).toBe(true);

      expect(await due(3600)).toEqual([]);
      expect(await store().schedules.nextFireAfter(timestamp(0))).toBeUndefined();
      expect((await store().schedules.get(moved.id))?.nextFireAt).toBeUndefined();
      expect((await store().schedules.get(fired.id))?.nextFireAt).toBeUndefined();
    });

    it('keeps the jobs a deleted scheduled job created', async () => {
      const scheduled = await stored();
      await fire(scheduled, 1);

      await store().schedules.delete(scheduled.id);

      expect((await store().jobs.list({ page: 1, size: 10, scheduledJobId: scheduled.id })).totalItems).toBe(
        1,
      );
    });
  });
}
