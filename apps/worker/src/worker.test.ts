import { execFileSync } from 'node:child_process';
import { InMemoryBroker } from '@tork/broker';
import { newId, QUEUE, silentLogger, type Message, type TaskRun, type TaskSpec } from '@tork/domain';
import { DockerRuntime } from '@tork/runtime';
import { describeWithService, dockerAvailable } from '@tork/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from './worker.js';

const IMAGE = 'tork/busybox:latest';
const docker = await dockerAvailable();

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('worker', () => {
  let broker: InMemoryBroker;
  let worker: RunningWorker | undefined;
  let reports: Message[];

  beforeEach(async () => {
    broker = new InMemoryBroker();
    reports = [];
    for (const queue of [QUEUE.started, QUEUE.completed, QUEUE.error]) {
      await broker.subscribe(queue, (message) => Promise.resolve(void reports.push(message)), {
        concurrency: 1,
      });
    }
  });

  afterEach(async () => {
    await worker?.stop({ abort: true });
    await broker.close();
    expect(leftovers('ps', 'label=tork.task')).toEqual([]);
    expect(leftovers('volume', 'label=tork=true')).toEqual([]);
  });

  async function start(queues: Record<string, number>): Promise<RunningWorker> {
    worker = await startWorker({ broker, runtime: new DockerRuntime(), logger: silentLogger }, { queues });
    return worker;
  }

  async function submit(spec: TaskSpec, queue = 'default'): Promise<TaskRun> {
    const task: TaskRun = { id: newId(), jobId: newId(), attempt: 1, queue, spec };
    await broker.publish(queue, { type: 'task.run', task });
    return task;
  }

  function outcome(taskId: string): Message | undefined {
    return reports.find(
      (m) => (m.type === 'task.completed' || m.type === 'task.failed') && m.taskId === taskId,
    );
  }

  async function outcomeOf(taskId: string, timeoutMs = 20_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = outcome(taskId);
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no outcome for task ${taskId}`);
  }

  it('reports started, then completed with the result', async () => {
    await start({ default: 1 });
    const task = await submit({ name: 'hello', image: IMAGE, run: 'echo -n hello world' });
    const result = await outcomeOf(task.id);
    expect(result).toMatchObject({
      type: 'task.completed',
      taskId: task.id,
      jobId: task.jobId,
      result: 'hello world',
    });
    const started = reports.find((m) => m.type === 'task.started' && m.taskId === task.id);
    expect(started).toMatchObject({ nodeId: worker?.nodeId });
  });

  it('reports a failing task with its exit code and last output', async () => {
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'echo something went wrong >&2; exit 3' });
    const result = await outcomeOf(task.id);
    expect(result.type).toBe('task.failed');
    expect(result).toMatchObject({
      error: expect.stringMatching(/^exit code 3: something went wrong/) as unknown,
    });
  });

  it('never runs more tasks of a queue at once than its concurrency', async () => {
    await start({ transcoding: 2 });
    const tasks = await Promise.all(
      Array.from({ length: 6 }, () => submit({ image: IMAGE, run: 'sleep 1' }, 'transcoding')),
    );
    await Promise.all(tasks.map((task) => outcomeOf(task.id, 30_000)));
    const intervals = tasks.map((task) => {
      const begin = reports.find((m) => m.type === 'task.started' && m.taskId === task.id);
      const end = outcome(task.id);
      if (begin?.type !== 'task.started' || end?.type !== 'task.completed')
        throw new Error('missing reports');
      return [Date.parse(begin.at), Date.parse(end.at)] as const;
    });
    const overlaps = intervals.map(
      ([at]) => intervals.filter(([begin, end]) => begin <= at && at < end).length,
    );
    expect(Math.max(...overlaps)).toBe(2);
  });
});

function leftovers(kind: 'ps' | 'volume', filter: string): string[] {
  const args =
    kind === 'ps'
      ? ['ps', '-a', '--filter', filter, '--format', '{{.Names}}']
      : ['volume', 'ls', '--filter', filter, '--format', '{{.Name}}'];
  return execFileSync('docker', args, { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}
