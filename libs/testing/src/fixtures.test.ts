import { describe, expect, it } from 'vitest';
import { helloSpec, jobFixture, richSpec, taskFixture, timestamp } from './fixtures.js';

describe('fixtures', () => {
  it('builds the hello job as PENDING with the README task', () => {
    const job = jobFixture();

    expect(job).toMatchObject({ name: 'hello job', state: 'PENDING', position: 0, createdAt: timestamp() });
    expect(job.tasks).toEqual(helloSpec().tasks);
  });

  it('builds tasks of a rich job on the queue its spec names', () => {
    const job = jobFixture(richSpec(), timestamp(5_000));
    const task = taskFixture(job, 0, 2);

    expect(job.createdAt).toBe('2024-01-01T12:00:05.000Z');
    expect(task).toMatchObject({
      jobId: job.id,
      index: 0,
      attempt: 2,
      state: 'PENDING',
      queue: 'transcoding',
    });
    expect(taskFixture(job, 1).queue).toBe('default');
  });
});
