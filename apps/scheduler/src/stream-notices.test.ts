import { InMemoryBroker } from '@tork/broker';
import { InMemoryDatastore } from '@tork/datastore';
import {
  logTopic,
  newJob,
  parseJobSpec,
  QUEUE,
  silentLogger,
  stateTopic,
  type BrokerEvent,
  type JobState,
} from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScheduler, type RunningScheduler } from './scheduler.js';

describe('stream notices', () => {
  let datastore: InMemoryDatastore;
  let broker: InMemoryBroker;
  let scheduler: RunningScheduler;
  let notices: { topic: string; event: BrokerEvent; jobState: JobState | undefined }[];

  beforeEach(async () => {
    datastore = new InMemoryDatastore();
    broker = new InMemoryBroker();
    notices = [];
    scheduler = await startScheduler({ datastore, broker, logger: silentLogger });
    await broker.subscribeEvents('#', (topic, event) => {
      // What a stream reading the datastore on this notice would see.
      const jobId = String(event['jobId']);
      void datastore.jobs.get(jobId).then((job) => notices.push({ topic, event, jobState: job?.state }));
    });
  });

  afterEach(async () => {
    await scheduler.stop();
    await broker.close();
  });

  it('publishes stored log entries on logs.<jobId>.<taskId>, and every state change on events.<jobId>', async () => {
    await broker.subscribe(
      'default',
      async (message) => {
        if (message.type !== 'task.run') return;
        const { id: taskId, jobId } = message.task;
        const at = new Date().toISOString();
        await broker.publish(QUEUE.started, { type: 'task.started', jobId, taskId, nodeId: 'n1', at });
        await broker.publish(QUEUE.logs, {
          type: 'task.log',
          jobId,
          taskId,
          entries: [{ taskId, number: 1, stream: 'stdout', text: 'hello\n', at }],
        });
        await broker.publish(QUEUE.completed, {
          type: 'task.completed',
          jobId,
          taskId,
          nodeId: 'n1',
          result: 'ok',
          at,
        });
      },
      { concurrency: 1 },
    );
    const job = newJob(parseJobSpec({ name: 'j', tasks: [{ image: 'busybox' }] }), new Date().toISOString());
    await datastore.jobs.create(job);
    await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });

    await expect.poll(() => notices.some((notice) => notice.jobState === 'COMPLETED')).toBe(true);
    const [task] = await datastore.tasks.list(job.id);
    if (task === undefined) throw new Error('no task');
    const logs = notices.filter((notice) => notice.topic.startsWith('logs.'));
    expect(logs.map((notice) => [notice.topic, notice.event])).toEqual([
      [
        logTopic(job.id, task.id),
        {
          jobId: job.id,
          taskId: task.id,
          entries: [expect.objectContaining({ number: 1, text: 'hello\n' })],
        },
      ],
    ]);
    expect((await datastore.logs.byTask(task.id, { page: 1, size: 10 })).totalItems).toBe(1);
    const states = notices.filter((notice) => notice.topic === stateTopic(job.id));
    expect(states.length).toBeGreaterThanOrEqual(3);
    expect(states.every((notice) => notice.event['jobId'] === job.id)).toBe(true);
  });
});
