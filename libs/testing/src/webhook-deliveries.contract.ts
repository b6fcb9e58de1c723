import { describe, expect, it } from 'vitest';
import {
  jobChange,
  newId,
  type Datastore,
  type NewProgressDelivery,
  type NewWebhookDelivery,
} from '@tork/domain';
import { jobFixture, timestamp } from './fixtures.js';

/**
 * The datastore contract of the webhook outbox (WebhookDeliveryStore) and of reading every job's
 * events by seq. Times are passed in. Registered by datastoreContract.
 */
export function webhookDeliveriesContract(store: () => Datastore): void {
  const delivery = (jobId: string, eventSeq: number, fields: Partial<NewWebhookDelivery> = {}) => ({
    id: newId(),
    eventSeq,
    webhookIndex: 0,
    jobId,
    event: 'job.StateChange' as const,
    body: JSON.stringify({ id: jobId, state: 'RUNNING' }),
    createdAt: timestamp(0),
    ...fields,
  });

  const progress = (
    jobId: string,
    percent: number,
    fields: Partial<NewProgressDelivery> = {},
  ): NewProgressDelivery => ({
    id: newId(),
    webhookIndex: 0,
    jobId,
    taskId: 'task-a',
    event: 'task.Progress',
    body: JSON.stringify({ id: 'task-a', progress: percent }),
    createdAt: timestamp(0),
    ...fields,
  });
  const percents = (deliveries: readonly { body: string }[]) =>
    deliveries.map((d) => (JSON.parse(d.body) as { progress: number }).progress);

  const storedJob = async (): Promise<string> => {
    const job = jobFixture();
    await store().jobs.create(job);
    return job.id;
  };

  describe('job events of every job', () => {
    it('answers the events after a seq, in seq order, across jobs', async () => {
      const first = await storedJob();
      const second = await storedJob();
      await store().jobs.update(first, jobChange('cancel', timestamp(5)));
      const all = await store().events.since(0, 100);
      expect(all.map((event) => [event.jobId, event.state])).toEqual([
        [first, 'PENDING'],
        [second, 'PENDING'],
        [first, 'CANCELLED'],
      ]);
      const later = await store().events.since(all[0]?.seq ?? 0, 1);
      expect(later.map((event) => event.jobId)).toEqual([second]);
    });
  });

  describe('webhook deliveries', () => {
    it('stores a delivery once per (event, webhook) and moves the cursor forward only', async () => {
      const jobId = await storedJob();
      const outbox = store().webhooks;
      const start = await outbox.cursor();
      const once = delivery(jobId, start + 7);
      await outbox.enqueue([once], start + 7);
      await outbox.enqueue(
        [delivery(jobId, start + 7), delivery(jobId, start + 7, { webhookIndex: 1 })],
        start + 3,
      );

      expect(await outbox.cursor()).toBe(start + 7);
      const stored = await outbox.listByJob(jobId);
      expect(stored.map((d) => [(d.eventSeq ?? 0) - start, d.webhookIndex, d.state, d.attempts])).toEqual([
        [7, 0, 'PENDING', 0],
        [7, 1, 'PENDING', 0],
      ]);
      expect(stored[0]?.id).toBe(once.id);
    });

    it('hands a due delivery to one claimer while its lease runs, and to another once it expired', async () => {
      const jobId = await storedJob();
      const outbox = store().webhooks;
      const due = delivery(jobId, 1);
      await outbox.enqueue([due, delivery(jobId, 2, { createdAt: timestamp(60_000) })], 2);

      const first = await outbox.claim({
        now: timestamp(1),
        owner: 'a',
        leaseUntil: timestamp(30_000),
        limit: 10,
      });
      const second = await outbox.claim({
        now: timestamp(2),
        owner: 'b',
        leaseUntil: timestamp(30_000),
        limit: 10,
      });
      const afterLease = await outbox.claim({
        now: timestamp(30_000),
        owner: 'b',
        leaseUntil: timestamp(60_000),
        limit: 10,
      });

      expect(first.map((d) => d.id)).toEqual([due.id]);
      expect(second).toEqual([]);
      expect(afterLease.map((d) => d.id)).toEqual([due.id]);
      // The first claimer lost its lease: what it records is dropped.
      expect(
        await outbox.settle(due.id, 'a', { state: 'DELIVERED', attempts: 1, nextAttemptAt: timestamp(3) }),
      ).toBe(false);
    });

    it('records an attempt of the lease holder: retried at its time, or done for good', async () => {
      const jobId = await storedJob();
      const outbox = store().webhooks;
      const item = delivery(jobId, 1);
      await outbox.enqueue([item], 1);
      await outbox.claim({ now: timestamp(1), owner: 'a', leaseUntil: timestamp(30_000), limit: 1 });

      expect(
        await outbox.settle(item.id, 'a', {
          state: 'PENDING',
          attempts: 1,
          nextAttemptAt: timestamp(10_000),
          lastError: 'HTTP 503',
        }),
      ).toBe(true);
      expect(
        await outbox.claim({ now: timestamp(5_000), owner: 'b', leaseUntil: timestamp(9_000), limit: 1 }),
      ).toEqual([]);
      const retried = await outbox.claim({
        now: timestamp(10_000),
        owner: 'b',
        leaseUntil: timestamp(40_000),
        limit: 1,
      });
      expect(retried.map((d) => [d.id, d.attempts, d.lastError])).toEqual([[item.id, 1, 'HTTP 503']]);

      await outbox.settle(item.id, 'b', {
        state: 'DELIVERED',
        attempts: 2,
        nextAttemptAt: timestamp(10_001),
      });
      expect(await outbox.get(item.id)).toMatchObject({ state: 'DELIVERED', attempts: 2 });
      expect(
        await outbox.claim({ now: timestamp(99_000), owner: 'c', leaseUntil: timestamp(99_999), limit: 1 }),
      ).toEqual([]);
    });

    it("deletes a job's deliveries with the job", async () => {
      const job = { ...jobFixture(), autoDelete: { after: '1s' } };
      await store().jobs.create(job);
      await store().webhooks.enqueue([delivery(job.id, 1)], 1);
      await store().jobs.update(job.id, jobChange('cancel', timestamp(1), { deleteAt: timestamp(2) }));
      await store().jobs.deleteExpired(timestamp(3), 10);

      expect(await store().webhooks.listByJob(job.id)).toEqual([]);
      expect(
        await store().webhooks.claim({ now: timestamp(9), owner: 'a', leaseUntil: timestamp(99), limit: 5 }),
      ).toEqual([]);
    });

    it('keeps one waiting progress delivery per (job, webhook, task): a newer one replaces its body', async () => {
      const jobId = await storedJob();
      const outbox = store().webhooks;
      const first = progress(jobId, 10);
      await outbox.enqueueProgress([first]);
      await outbox.enqueueProgress([
        progress(jobId, 40, { createdAt: timestamp(1) }),
        progress(jobId, 5, { taskId: 'task-b', createdAt: timestamp(1) }),
        {
          id: newId(),
          webhookIndex: 1,
          jobId,
          event: 'job.Progress',
          body: JSON.stringify({ id: jobId, progress: 20 }),
          createdAt: timestamp(1),
        },
      ]);
      await outbox.enqueueProgress([progress(jobId, 50, { createdAt: timestamp(2) })]);

      const stored = await outbox.listByJob(jobId);
      expect(stored.map((d) => [d.event, d.webhookIndex, d.taskId, d.state, d.attempts])).toEqual([
        ['task.Progress', 0, 'task-a', 'PENDING', 0],
        ['task.Progress', 0, 'task-b', 'PENDING', 0],
        ['job.Progress', 1, undefined, 'PENDING', 0],
      ]);
      expect(percents(stored)).toEqual([50, 5, 20]);
      // Replaced, not re-made: the id (Tork-Delivery) and the time it was first due stay.
      expect(stored[0]).toMatchObject({ id: first.id, createdAt: timestamp(0), nextAttemptAt: timestamp(0) });
      expect(stored[0]?.eventSeq).toBeUndefined();
    });

    it('never replaces a progress delivery once claimed, even when it is to be retried', async () => {
      const jobId = await storedJob();
      const outbox = store().webhooks;
      const sent = progress(jobId, 10);
      await outbox.enqueueProgress([sent]);
      await outbox.claim({ now: timestamp(1), owner: 'a', leaseUntil: timestamp(30_000), limit: 5 });
      await outbox.enqueueProgress([progress(jobId, 30, { createdAt: timestamp(2) })]);
      await outbox.settle(sent.id, 'a', {
        state: 'PENDING',
        attempts: 1,
        nextAttemptAt: timestamp(5_000),
        lastError: 'HTTP 503',
      });
      await outbox.enqueueProgress([progress(jobId, 60, { createdAt: timestamp(3) })]);

      const stored = await outbox.listByJob(jobId);
      expect(stored.map((d) => [d.id === sent.id, d.attempts])).toEqual([
        [true, 1],
        [false, 0],
      ]);
      expect(percents(stored)).toEqual([10, 60]);

      const due = await outbox.claim({
        now: timestamp(5_000),
        owner: 'b',
        leaseUntil: timestamp(40_000),
        limit: 5,
      });
      expect(percents(due).sort()).toEqual([10, 60]);
    });

    it('drops progress deliveries of a job that is gone', async () => {
      const outbox = store().webhooks;
      const jobId = newId();
      await outbox.enqueueProgress([progress(jobId, 10)]);
      expect(await outbox.listByJob(jobId)).toEqual([]);
    });
  });
}
