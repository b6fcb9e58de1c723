import { execFileSync } from 'node:child_process';
import { InMemoryBroker } from '@tork/broker';
import { randomBytes } from 'node:crypto';
import {
  encryptSecretEnv,
  Keyring,
  newId,
  parseEncryptionKey,
  QUEUE,
  SecretPolicy,
  silentLogger,
  type Message,
  type MessageHandler,
  type SubscribeOptions,
  type Subscription,
  type TaskRun,
  type ContainerTaskSpec,
} from '@tork/domain';
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
)('worker', () => {
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

  it('lets go of a task message once its start is reported, long before the task ends', async () => {
    const events: string[] = [];
    /** Records when the worker's work-queue deliveries are acknowledged, beside what it publishes. */
    class RecordingBroker extends InMemoryBroker {
      override publish(queue: string, message: Message): Promise<void> {
        return super.publish(queue, message).then(() => void events.push(`published ${message.type}`));
      }
      override subscribe(
        queue: string,
        handler: MessageHandler,
        options: SubscribeOptions,
      ): Promise<Subscription> {
        if (queue !== 'default') return super.subscribe(queue, handler, options);
        return super.subscribe(
          queue,
          (message, delivery) =>
            handler(message, {
              attempt: delivery.attempt,
              ack: () => {
                events.push(`acknowledged (${options.ack ?? 'after-handler'})`);
                delivery.ack();
              },
            }),
          options,
        );
      }
    }
    await broker.close();
    broker = new RecordingBroker();
    for (const queue of [QUEUE.started, QUEUE.completed, QUEUE.error, QUEUE.logs]) {
      await broker.subscribe(queue, (message) => Promise.resolve(void reports.push(message)), {
        concurrency: 1,
      });
    }
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'sleep 1; echo -n done' });

    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: 'done' });
    const relevant = ['published task.started', 'acknowledged (manual)', 'published task.completed'];
    expect(events.filter((event) => relevant.includes(event))).toEqual([
      'published task.started',
      'acknowledged (manual)',
      'published task.completed',
    ]);
  });

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

  it('fails the task when a pre step fails, and never runs the task itself', async () => {
    await start({ default: 1 });
    const task = await submit({
      image: IMAGE,
      run: 'echo main ran',
      pre: [{ name: 'setup', image: IMAGE, run: 'echo cannot set up; exit 4' }],
    });
    const result = await outcomeOf(task.id);
    expect(result.type).toBe('task.failed');
    if (result.type !== 'task.failed') return;
    expect(result.error).toBe('pre[0] (setup) failed: exit code 4: cannot set up');
    expect(result.steps?.map((step) => [step.kind, step.state])).toEqual([['pre', 'FAILED']]);
    expect(logText(task.id)).not.toContain('main ran');
  });

  it('stops a task at its timeout and fails it with "timed out after"', async () => {
    await start({ default: 1 });
    const begin = Date.now();
    const task = await submit({ image: IMAGE, run: 'sleep 30', timeout: '1s' });
    const result = await outcomeOf(task.id);
    expect(Date.now() - begin).toBeLessThan(10_000);
    expect(result).toMatchObject({ type: 'task.failed', error: 'timed out after 1s' });
  });

  it('fails a task killed for exceeding its memory limit, naming the limit', async () => {
    await start({ default: 1 });
    const task = await submit({
      image: IMAGE,
      run: 'head -c 67108864 /dev/zero | tail',
      limits: { memory: '10m' },
    });
    const result = await outcomeOf(task.id);
    expect(result.type).toBe('task.failed');
    if (result.type !== 'task.failed') return;
    expect(result.error).toContain('out of memory');
    expect(result.error).toContain('10m');
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

  it('ships task output to the logs queue with secrets masked, but passes the secret to the container', async () => {
    await start({ default: 1 });
    const task = await submit({
      image: IMAGE,
      env: { DB_PASSWORD: 'hunter2-secret', GREETING: 'hi' },
      run: 'echo "$GREETING, the password is $DB_PASSWORD"; echo "$DB_PASSWORD" > $TORK_OUTPUT; echo "oops $DB_PASSWORD" >&2; exit 1',
    });
    const result = await outcomeOf(task.id);
    expect(result.type).toBe('task.failed');
    await waitFor(() => logText(task.id).includes('the password is'));
    expect(logText(task.id)).toContain('hi, the password is [REDACTED]');
    expect(logText(task.id)).not.toContain('hunter2-secret');
    expect(JSON.stringify(result)).not.toContain('hunter2-secret');
    expect(JSON.stringify(result)).toContain('oops [REDACTED]');
  });

  it('masks a secret in the result, and one printed in two halves with a pause between', async () => {
    await start({ default: 1 });
    const task = await submit({
      image: IMAGE,
      env: { MY_PASSWORD: 'hunter2', API_TOKEN: 'tok-123' },
      run: 'printf hunt; sleep .3; printf er2; echo; echo "token $API_TOKEN" >&2',
    });
    const result = await outcomeOf(task.id);
    expect(result).toMatchObject({ type: 'task.completed', result: '[REDACTED]\n' });
    await waitFor(() => logText(task.id, 'stderr').includes('\n'));
    // Each stream on its own: how stdout's and stderr's entries interleave depends on timing.
    expect(logText(task.id)).not.toContain('hunt');
    expect(logText(task.id, 'stdout')).toBe('[REDACTED]\n');
    expect(logText(task.id, 'stderr')).toBe('token [REDACTED]\n');
  });

  it('follows the secret key patterns it is given', async () => {
    await start({ default: 1 }, { secretPolicy: new SecretPolicy(['PIN']) });
    const task = await submit({ image: IMAGE, env: { CARD_PIN: '4321' }, run: 'echo -n "pin $CARD_PIN"' });

    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: 'pin [REDACTED]' });
  });

  it('decrypts encrypted env for the container only, and masks the plaintext', async () => {
    const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);
    await start({ default: 1 }, { keyring });
    const [spec] = encryptSecretEnv(
      { tasks: [{ image: IMAGE, env: { DB_PASS: 'plain-in-container' }, run: 'echo -n "$DB_PASS"' }] },
      new SecretPolicy(['PASS']),
      keyring,
    ).tasks;
    expect(spec?.env?.['DB_PASS']).toMatch(/^enc:v1:k1:/);

    const task = await submit({ ...spec!, image: IMAGE });

    // The worker's own policy does not name DB_PASS: the value is masked because it came encrypted.
    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: '[REDACTED]' });
  });

  it('fails a task it cannot decrypt, saying why, without starting it', async () => {
    const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);
    await start({ default: 1 });
    const [spec] = encryptSecretEnv(
      { tasks: [{ image: IMAGE, env: { MY_SECRET: 's' }, run: 'true' }] },
      new SecretPolicy(),
      keyring,
    ).tasks;

    const task = await submit({ ...spec!, image: IMAGE });

    expect(await outcomeOf(task.id)).toMatchObject({
      type: 'task.failed',
      error:
        'cannot decrypt env MY_SECRET of the task: this worker has no -encryption-key (see TORK_ENCRYPTION_KEYS)',
    });
    expect(reports.some((m) => m.type === 'task.started' && m.taskId === task.id)).toBe(false);
  });

  it('runs a task whose timeout is past what a Node timer holds (600h) to its end', async () => {
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'sleep 0.5; echo -n done', timeout: '600h' });

    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: 'done' });
  });

  it('on stop, lets running tasks finish within the drain timeout, then hands them back', async () => {
    const running = await start({ default: 2 });
    const quick = await submit({ image: IMAGE, run: 'sleep 0.3; echo -n finished' });
    const slow = await submit({ image: IMAGE, run: 'sleep 30' });
    await waitFor(() => reports.filter((m) => m.type === 'task.started').length === 2);
    await running.stop({ drainTimeoutMs: 1500 });
    worker = undefined;
    expect(outcome(quick.id)).toMatchObject({ type: 'task.completed', result: 'finished' });
    expect(outcome(slow.id)).toMatchObject({
      type: 'task.failed',
      workerLost: true,
      error: expect.stringContaining('shut down') as unknown,
    });
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
