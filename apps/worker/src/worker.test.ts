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
  type ContainerTaskSpec,
  type Message,
  type MessageHandler,
  type SubscribeOptions,
  type Subscription,
  type TaskRun,
} from '@tork/domain';
import { FakeRuntime, type FakeRun } from '@tork/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker, type WorkerOptions } from './worker.js';

const IMAGE = 'busybox';

/** A fake whose runs are looked up by the container's script: a task says what its run does. */
function scripted(runs: Readonly<Record<string, FakeRun>>, features = {}): FakeRuntime {
  return new FakeRuntime({ features, script: (spec) => runs[spec.script ?? ''] ?? {} });
}

const out = (text: string) => ({ stream: 'stdout' as const, text });
const err = (text: string) => ({ stream: 'stderr' as const, text });

describe('worker', () => {
  let broker: InMemoryBroker;
  let runtime: FakeRuntime;
  let worker: RunningWorker | undefined;
  let reports: Message[];

  beforeEach(async () => {
    broker = new InMemoryBroker();
    runtime = new FakeRuntime();
    reports = [];
    await listen();
  });

  afterEach(async () => {
    await worker?.stop({ abort: true });
    worker = undefined;
    await broker.close();
    expect([...runtime.volumes]).toEqual([]);
  });

  async function listen(): Promise<void> {
    for (const queue of [QUEUE.started, QUEUE.completed, QUEUE.error, QUEUE.logs, QUEUE.progress]) {
      await broker.subscribe(queue, (message) => Promise.resolve(void reports.push(message)), {
        concurrency: 1,
      });
    }
  }

  async function start(
    queues: Record<string, number>,
    options: Partial<WorkerOptions> = {},
  ): Promise<RunningWorker> {
    worker = await startWorker({ broker, runtime, logger: silentLogger }, { queues, ...options });
    return worker;
  }

  async function submit(spec: ContainerTaskSpec, queue = 'default'): Promise<TaskRun> {
    const task: TaskRun = { id: newId(), jobId: newId(), attempt: 1, queue, spec };
    await broker.publish(queue, { type: 'task.run', task });
    return task;
  }

  function outcome(taskId: string): Message | undefined {
    return reports.find(
      (m) => (m.type === 'task.completed' || m.type === 'task.failed') && m.taskId === taskId,
    );
  }

  async function outcomeOf(taskId: string, timeoutMs = 10_000): Promise<Message> {
    await waitFor(() => outcome(taskId) !== undefined, timeoutMs);
    return outcome(taskId)!;
  }

  function logText(taskId: string, stream?: 'stdout' | 'stderr'): string {
    return reports
      .flatMap((m) => (m.type === 'task.log' && m.taskId === taskId ? m.entries : []))
      .filter((entry) => stream === undefined || entry.stream === stream)
      .sort((a, b) => a.number - b.number)
      .map((entry) => entry.text)
      .join('');
  }

  it("reports its host's CPU use and its version in every heartbeat", async () => {
    const beats: Message[] = [];
    await broker.subscribe(QUEUE.heartbeat, (message) => Promise.resolve(void beats.push(message)), {
      concurrency: 1,
    });
    await start({ default: 1 }, { version: '9.9.9', heartbeatIntervalMs: 50 });
    await waitFor(() => beats.length >= 2, 5_000);
    for (const beat of beats) {
      if (beat.type !== 'node.heartbeat') throw new Error(`unexpected ${beat.type}`);
      expect(beat.node.version).toBe('9.9.9');
      expect(beat.node.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(beat.node.cpuPercent).toBeLessThanOrEqual(100);
    }
  });

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
              headers: delivery.headers,
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
    await listen();
    runtime.setScript(() => ({ output: [out('done')], delayMs: 300 }));
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'sleep' });

    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: 'done' });
    const relevant = ['published task.started', 'acknowledged (manual)', 'published task.completed'];
    expect(events.filter((event) => relevant.includes(event))).toEqual(relevant);
  });

  it('reports started once the task has run 100 ms, then completed with the result', async () => {
    runtime.setScript(() => ({ output: [out('hello world')], delayMs: 250 }));
    await start({ default: 1 });
    const task = await submit({ name: 'hello', image: IMAGE, run: 'echo' });
    const completed = await outcomeOf(task.id);
    expect(completed).toMatchObject({
      type: 'task.completed',
      taskId: task.id,
      jobId: task.jobId,
      result: 'hello world',
    });
    expect(completed).not.toHaveProperty('includesStart');
    const started = reports.find((m) => m.type === 'task.started' && m.taskId === task.id);
    expect(started).toMatchObject({ nodeId: worker?.nodeId });
    expect(started?.type === 'task.started' && started.at).toBe(
      completed.type === 'task.completed' && completed.startedAt,
    );
  });

  it('reports a task that ends within 100 ms once: its end, carrying its start', async () => {
    runtime.setScript((spec) => (spec.script === 'fail' ? { exitCode: 2 } : { output: [out('quick')] }));
    await start({ default: 1 });
    const quick = await submit({ image: IMAGE, run: 'echo' });
    expect(await outcomeOf(quick.id)).toMatchObject({
      type: 'task.completed',
      result: 'quick',
      nodeId: worker?.nodeId,
      includesStart: true,
    });
    expect(outcome(quick.id)).toHaveProperty('startedAt');
    const failing = await submit({ image: IMAGE, run: 'fail' });
    expect(await outcomeOf(failing.id)).toMatchObject({
      type: 'task.failed',
      failure: { kind: 'exit', exitCode: 2 },
      includesStart: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reports.filter((m) => m.type === 'task.started')).toEqual([]);
  });

  it('reports a failing task with its exit code, last output and failure kind exit', async () => {
    runtime.setScript(() => ({ exitCode: 3, output: [err('something went wrong\n')] }));
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'fail' });
    expect(await outcomeOf(task.id)).toMatchObject({
      type: 'task.failed',
      error: 'exit code 3: something went wrong',
      failure: { kind: 'exit', exitCode: 3 },
    });
  });

  it('never runs more tasks of a queue at once than its concurrency', async () => {
    let now = 0;
    let most = 0;
    runtime.setScript(() => {
      now += 1;
      most = Math.max(most, now);
      return { delayMs: 100 };
    });
    const counted = runtime.run.bind(runtime);
    runtime.run = (spec, signal) => counted(spec, signal).finally(() => void (now -= 1));
    await start({ transcoding: 2 });
    const tasks = await Promise.all(
      Array.from({ length: 6 }, () => submit({ image: IMAGE, run: 'sleep' }, 'transcoding')),
    );
    await Promise.all(tasks.map((task) => outcomeOf(task.id)));
    expect(most).toBe(2);
  });

  it('gives each step its own container fields and the task its mounts, networks, sidecars and GPUs', async () => {
    const running = await start({ default: 1 });
    const task = await submit({
      name: 'convert',
      image: 'ffmpeg',
      run: 'convert',
      entrypoint: ['bash', '-c'],
      files: { 'in.txt': 'hello' },
      workdir: '/work',
      user: '1000:1000',
      registry: { username: 'u', password: 'p' },
      gpus: 'all',
      networks: ['backend'],
      volumes: ['/data'],
      mounts: [
        { type: 'volume', target: '/cache' },
        { type: 'tmpfs', target: '/scratch' },
      ],
      sidecars: [
        { name: 'My DB', image: 'postgres', probe: { path: '/ready', port: 5432 } },
        { name: 'web', image: 'httpd', probe: { path: '/', port: 80, timeout: '5s' } },
      ],
      pre: [{ name: 'download', image: 'wget', cmd: ['wget', 'x'], workdir: '/in' }],
      post: [{ name: 'upload', image: 'aws', run: 'upload' }],
    });

    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed' });
    const [pre, main, post] = runtime.specs;
    expect(runtime.specs.map((spec) => spec.image)).toEqual(['wget', 'ffmpeg', 'aws']);
    expect(pre).toMatchObject({ cmd: ['wget', 'x'], workdir: '/in', networks: ['backend'] });
    expect(pre?.script).toBeUndefined();
    expect(pre?.sidecars).toBeUndefined();
    expect(pre?.gpus).toBeUndefined();
    expect(pre?.registry).toBeUndefined();
    expect(main).toMatchObject({
      script: 'convert',
      entrypoint: ['bash', '-c'],
      files: { 'in.txt': 'hello' },
      workdir: '/work',
      user: '1000:1000',
      registry: { username: 'u', password: 'p' },
      gpus: 'all',
      networks: ['backend'],
      sidecars: [
        {
          name: 'my-db',
          image: 'postgres',
          env: {},
          probe: { path: '/ready', port: 5432, timeoutMs: 60_000 },
        },
        { name: 'web', image: 'httpd', env: {}, probe: { path: '/', port: 80, timeoutMs: 5000 } },
      ],
    });
    expect(post).toMatchObject({ script: 'upload' });
    // Pre and post share the task's volumes and mounts: a pre task fills what the task reads.
    const mounts = [
      { type: 'volume', source: `tork-${task.id}-0`, target: '/data' },
      { type: 'volume', source: `tork-${task.id}-m0`, target: '/cache' },
      { type: 'tmpfs', target: '/scratch' },
    ];
    for (const spec of runtime.specs) expect(spec.mounts).toEqual(mounts);
    expect(runtime.createdVolumes).toEqual([
      { name: `tork-${task.id}-0`, options: { labels: { 'tork.node': running.nodeId } } },
      { name: `tork-${task.id}-m0`, options: { labels: { 'tork.node': running.nodeId } } },
    ]);
  });

  it('fails the task when a pre step fails, and never runs the task itself', async () => {
    runtime = scripted({ setup: { exitCode: 4, output: [out('cannot set up\n')] } });
    await start({ default: 1 });
    const task = await submit({
      image: IMAGE,
      run: 'main',
      pre: [{ name: 'setup', image: IMAGE, run: 'setup' }],
    });
    const result = await outcomeOf(task.id);
    expect(result).toMatchObject({
      type: 'task.failed',
      error: 'pre[0] (setup) failed: exit code 4: cannot set up',
      failure: { kind: 'exit', exitCode: 4 },
    });
    expect(runtime.specs.map((spec) => spec.script)).toEqual(['setup']);
  });

  it('stops a task at its timeout: failure kind timeout', async () => {
    runtime.setScript(() => ({ delayMs: 30_000 }));
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'sleep', timeout: '200ms' });
    expect(await outcomeOf(task.id)).toMatchObject({
      type: 'task.failed',
      error: 'timed out after 200ms',
      failure: { kind: 'timeout' },
    });
  });

  it('fails a task killed for exceeding its memory limit, naming the limit: failure kind oom', async () => {
    runtime.setScript(() => ({ oomKilled: true }));
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'eat', limits: { memory: '10m' } });
    const result = await outcomeOf(task.id);
    expect(result).toMatchObject({ type: 'task.failed', failure: { kind: 'oom', exitCode: 137 } });
    expect(JSON.stringify(result)).toContain('out of memory');
    expect(JSON.stringify(result)).toContain('10m');
  });

  it('fails a task whose image cannot be had: failure kind image', async () => {
    runtime.setScript(() => ({ error: { kind: 'image', message: 'image nope:1 not found' } }));
    await start({ default: 1 });
    const task = await submit({ image: 'nope:1', run: 'x' });
    expect(await outcomeOf(task.id)).toMatchObject({
      type: 'task.failed',
      error: 'image nope:1 not found',
      failure: { kind: 'image' },
    });
  });

  it('refuses a task outside its policy before any container starts: failure kind rejected, every problem named', async () => {
    await start({ default: 1 }, { policy: { maxCpus: 1, maxMemoryBytes: 1024 * 1024 * 1024 } });
    const task = await submit({
      image: IMAGE,
      run: 'x',
      limits: { cpus: '4', memory: '2g' },
      mounts: [{ type: 'bind', source: '/etc', target: '/host' }],
    });
    const result = await outcomeOf(task.id);
    expect(result).toMatchObject({ type: 'task.failed', failure: { kind: 'rejected' } });
    const error = result.type === 'task.failed' ? result.error : '';
    expect(error).toContain('task.limits.cpus');
    expect(error).toContain('-max-cpus');
    expect(error).toContain('task.limits.memory');
    expect(error).toContain('bind mounts are not allowed');
    expect(runtime.specs).toEqual([]);
    expect(runtime.createdVolumes).toEqual([]);
  });

  it('refuses a field its runtime cannot honour (no GPU): failure kind rejected', async () => {
    runtime = new FakeRuntime({ features: { gpus: false } });
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'x', gpus: 'all' });
    expect(await outcomeOf(task.id)).toMatchObject({
      type: 'task.failed',
      error: expect.stringContaining('task.gpus') as unknown,
      failure: { kind: 'rejected' },
    });
    expect(runtime.specs).toEqual([]);
  });

  it('stops a running task when told on its own x-<id> queue, reporting neither success nor failure', async () => {
    runtime.setScript(() => ({ delayMs: 30_000 }));
    const running = await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'sleep' });
    await waitFor(() => running.runningTasks() === 1 && runtime.specs.length === 1);
    await broker.publish(`x-${running.nodeId}`, { type: 'task.cancel', taskId: task.id });
    await waitFor(() => running.runningTasks() === 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(outcome(task.id)).toBeUndefined();
  });

  it('ships task output to the logs queue with secrets masked, but passes the secret to the container', async () => {
    runtime.setScript((spec) => ({
      exitCode: 1,
      output: [
        out(`${spec.env['GREETING']}, the password is ${spec.env['DB_PASSWORD']}\n`),
        err(`oops ${spec.env['DB_PASSWORD']}\n`),
      ],
    }));
    await start({ default: 1 });
    const task = await submit({
      image: IMAGE,
      env: { DB_PASSWORD: 'hunter2-secret', GREETING: 'hi' },
      run: 'x',
    });
    const result = await outcomeOf(task.id);
    expect(result.type).toBe('task.failed');
    await waitFor(() => logText(task.id).includes('the password is'));
    expect(logText(task.id, 'stdout')).toBe('hi, the password is [REDACTED]\n');
    expect(JSON.stringify(reports)).not.toContain('hunter2-secret');
    expect(JSON.stringify(result)).toContain('oops [REDACTED]');
  });

  it('masks a secret in the result', async () => {
    runtime.setScript(() => ({ output: [out('hunter2\n')] }));
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, env: { MY_PASSWORD: 'hunter2' }, run: 'x' });
    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: '[REDACTED]\n' });
  });

  it('follows the secret key patterns it is given', async () => {
    runtime.setScript((spec) => ({ output: [out(`pin ${spec.env['CARD_PIN']}`)] }));
    await start({ default: 1 }, { secretPolicy: new SecretPolicy(['PIN']) });
    const task = await submit({ image: IMAGE, env: { CARD_PIN: '4321' }, run: 'x' });
    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: 'pin [REDACTED]' });
  });

  it('decrypts encrypted env for the container only, and masks the plaintext', async () => {
    const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);
    runtime.setScript((spec) => ({ output: [out(spec.env['DB_PASS'] ?? '')] }));
    await start({ default: 1 }, { keyring });
    const [spec] = encryptSecretEnv(
      { tasks: [{ image: IMAGE, env: { DB_PASS: 'plain-in-container' }, run: 'x' }] },
      new SecretPolicy(['PASS']),
      keyring,
    ).tasks;
    const task = await submit({ ...spec!, image: IMAGE });
    expect(await outcomeOf(task.id)).toMatchObject({ type: 'task.completed', result: '[REDACTED]' });
    expect(runtime.specs[0]?.env['DB_PASS']).toBe('plain-in-container');
  });

  it('fails a task it cannot decrypt, saying why, without starting it: failure kind rejected', async () => {
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
      failure: { kind: 'rejected' },
    });
    expect(reports.some((m) => m.type === 'task.started' && m.taskId === task.id)).toBe(false);
    expect(runtime.specs).toEqual([]);
  });

  it('sends progress as the task reports it, at most about once a second, the latest value winning', async () => {
    runtime.setScript(() => ({
      progress: [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95],
      progressEveryMs: 150,
    }));
    await start({ default: 1 });
    const task = await submit({ image: IMAGE, run: 'x' });
    await outcomeOf(task.id);
    const sent = reports.flatMap((m) => (m.type === 'task.progress' && m.taskId === task.id ? [m] : []));
    // ~1.65s of run: the first value at once, then the latest a second later; the end sends nothing.
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ jobId: task.jobId, progress: 5 });
    expect(sent[1]?.progress).toBeGreaterThanOrEqual(50);
    expect(Date.parse(sent[1]!.at) - Date.parse(sent[0]!.at)).toBeGreaterThanOrEqual(990);
  });

  it('hands a task back when its runtime is unavailable, reports itself unhealthy and takes no tasks until the runtime answers', async () => {
    runtime.setScript((_, call) => (call === 0 ? { error: { kind: 'runtime' } } : { output: [out('ok')] }));
    runtime.failHealth();
    const running = await start({ default: 1 }, { runtimePollIntervalMs: 50 });
    const first = await submit({ image: IMAGE, run: 'x' });
    expect(await outcomeOf(first.id)).toMatchObject({
      type: 'task.failed',
      error: 'engine unavailable',
      failure: { kind: 'runtime' },
    });
    await expect(running.healthCheck()).rejects.toThrow('runtime unavailable: engine unavailable');

    const second = await submit({ image: IMAGE, run: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(outcome(second.id)).toBeUndefined();
    expect(runtime.specs).toHaveLength(1);

    runtime.recover();
    expect(await outcomeOf(second.id)).toMatchObject({ type: 'task.completed', result: 'ok' });
    await expect(running.healthCheck()).resolves.toBeUndefined();
  });

  it('on stop, lets running tasks finish within the drain timeout, then hands them back', async () => {
    runtime = scripted({
      quick: { output: [out('finished')], delayMs: 250 },
      slow: { delayMs: 30_000 },
    });
    const running = await start({ default: 2 });
    const quick = await submit({ image: IMAGE, run: 'quick' });
    const slow = await submit({ image: IMAGE, run: 'slow' });
    await waitFor(() => reports.filter((m) => m.type === 'task.started').length === 2);
    await running.stop({ drainTimeoutMs: 500 });
    worker = undefined;
    expect(outcome(quick.id)).toMatchObject({ type: 'task.completed', result: 'finished' });
    expect(outcome(slow.id)).toMatchObject({
      type: 'task.failed',
      workerLost: true,
      failure: { kind: 'worker-lost' },
      error: expect.stringContaining('shut down') as unknown,
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
