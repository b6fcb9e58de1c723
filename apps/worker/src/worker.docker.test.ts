import { execFileSync } from 'node:child_process';
import { InMemoryBroker } from '@tork/broker';
import { newId, QUEUE, silentLogger, type Message, type TaskRun, type ContainerTaskSpec } from '@tork/domain';
import { DockerRuntime } from '@tork/runtime';
import { describeWithService, dockerAvailable } from '@tork/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startWorker, type RunningWorker, type WorkerOptions } from './worker.js';

const IMAGE = 'tork/busybox:latest';
const docker = await dockerAvailable();

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('worker on the Docker engine', () => {
  let broker: InMemoryBroker;
  let worker: RunningWorker | undefined;
  let reports: Message[];
  let submitted: string[];

  beforeEach(async () => {
    broker = new InMemoryBroker();
    reports = [];
    submitted = [];
    for (const queue of [QUEUE.started, QUEUE.completed, QUEUE.error, QUEUE.logs]) {
      await broker.subscribe(queue, (message) => Promise.resolve(void reports.push(message)), {
        concurrency: 1,
      });
    }
  });

  afterEach(async () => {
    await worker?.stop({ abort: true });
    await broker.close();
    // Only this test's containers and volumes (named tork-<task id>...): other suites share the engine.
    const ours = (name: string): boolean => submitted.some((id) => name.startsWith(`tork-${id}`));
    expect(leftovers('ps', 'label=tork.task').filter(ours)).toEqual([]);
    expect(leftovers('volume', 'label=tork=true').filter(ours)).toEqual([]);
  });

  async function start(
    queues: Record<string, number>,
    options: Partial<WorkerOptions> = {},
  ): Promise<RunningWorker> {
    worker = await startWorker(
      { broker, runtime: new DockerRuntime(), logger: silentLogger },
      { queues, ...options },
    );
    return worker;
  }

  async function submit(spec: ContainerTaskSpec, queue = 'default'): Promise<TaskRun> {
    const task: TaskRun = { id: newId(), jobId: newId(), attempt: 1, queue, spec };
    submitted.push(task.id);
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

  it("runs pre, the task and post in order, sharing the task's volumes (the seed's convert.yaml shape)", async () => {
    await start({ default: 1 });
    const task = await submit({
      name: 'convert',
      image: IMAGE,
      run: "tr 'a-z' 'A-Z' < /tmp/input.txt > /tmp/output.txt && echo -n converted",
      volumes: ['/tmp'],
      pre: [{ name: 'download', image: IMAGE, run: 'echo hello volumes > /tmp/input.txt' }],
      post: [{ name: 'upload', image: IMAGE, run: 'cat /tmp/output.txt; test -s /tmp/output.txt' }],
    });
    const result = await outcomeOf(task.id);
    expect(result).toMatchObject({ type: 'task.completed', result: 'converted' });
    if (result.type !== 'task.completed') return;
    expect(result.steps?.map((step) => [step.kind, step.name, step.state])).toEqual([
      ['pre', 'download', 'COMPLETED'],
      ['main', 'convert', 'COMPLETED'],
      ['post', 'upload', 'COMPLETED'],
    ]);
    await waitFor(() => logText(task.id).includes('HELLO VOLUMES'));
  });

  it('stops a running task when told on its own x-<id> queue, reporting neither success nor failure', async () => {
    const running = await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'sleep 30' });
    await waitFor(() => reports.some((m) => m.type === 'task.started' && m.taskId === task.id));
    await waitFor(() => leftovers('ps', `label=tork.task=${task.id}`).length === 1);
    const begin = Date.now();
    await broker.publish(`x-${running.nodeId}`, { type: 'task.cancel', taskId: task.id });
    await waitFor(() => leftovers('ps', `label=tork.task=${task.id}`).length === 0);
    expect(Date.now() - begin).toBeLessThan(3000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(outcome(task.id)).toBeUndefined();
    expect(running.runningTasks()).toBe(0);
  });

  function logText(taskId: string, stream?: 'stdout' | 'stderr'): string {
    return reports
      .flatMap((m) => (m.type === 'task.log' && m.taskId === taskId ? m.entries : []))
      .filter((entry) => stream === undefined || entry.stream === stream)
      .sort((a, b) => a.number - b.number)
      .map((entry) => entry.text)
      .join('');
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function leftovers(kind: 'ps' | 'volume', filter: string): string[] {
  const args =
    kind === 'ps'
      ? ['ps', '-a', '--filter', filter, '--format', '{{.Names}}']
      : ['volume', 'ls', '--filter', filter, '--format', '{{.Name}}'];
  return execFileSync('docker', args, { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}
