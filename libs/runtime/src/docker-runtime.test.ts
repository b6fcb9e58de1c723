import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RuntimeError } from '@tork/domain';
import type { ContainerSpec, OutputChunk } from '@tork/domain';
// Test helpers are test code: adapters depend on @tork/testing from their tests only, never from src.
import { describeWithService, dockerAvailable } from '@tork/testing';
import { DockerRuntime } from './docker-runtime.js';

const IMAGE = 'tork/busybox:latest';
/** The test image with a non-root USER, who cannot create directories in / (built in beforeAll). */
const NON_ROOT_USER = '65534';
/** Tags this file's containers and volumes so parallel suites on the same engine do not disturb the checks. */
const SUITE = randomUUID().slice(0, 8);
const MARKER = (max: number): string => `\n[truncated: output exceeded ${max} bytes]`;

const describeDocker = describeWithService(
  'Docker engine',
  await dockerAvailable(),
  'start it with `bash .ci/run` or `dockerd --bridge=none --iptables=false --ip-masq=false &`',
);

describeDocker('DockerRuntime (real engine)', () => {
  const docker = new Docker();
  const runtime = new DockerRuntime();
  const nonRootRepo = 'tork/busybox-nonroot';
  const nonRootImage = `${nonRootRepo}:${SUITE}`;
  let counter = 0;

  const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name: `rt-${SUITE}-${++counter}`,
    image: IMAGE,
    env: {},
    mounts: [],
    labels: { 'tork.suite': SUITE },
    ...overrides,
  });
  const never = (): AbortSignal => new AbortController().signal;

  const leftoverContainers = async (): Promise<string[]> => {
    const found = await docker.listContainers({
      all: true,
      filters: { label: [RUN_LABEL, `tork.suite=${SUITE}`] },
    });
    return found.map((c) => c.Id);
  };
  const leftoverVolumes = async (): Promise<string[]> => {
    const { Volumes } = await docker.listVolumes({ filters: { label: ['tork=true'], name: [SUITE] } });
    return Volumes.map((v) => v.Name);
  };

  beforeAll(async () => {
    try {
      await docker.getImage(IMAGE).inspect();
    } catch {
      throw new Error(`test image ${IMAGE} is missing: build it with \`bash tools/test-images.sh\``);
    }
    const base = await docker.createContainer({ Image: IMAGE, Cmd: ['true'] });
    try {
      await base.commit({ repo: nonRootRepo, tag: SUITE, changes: `USER ${NON_ROOT_USER}` });
    } finally {
      await base.remove({ force: true });
    }
  });

  afterEach(async () => {
    const containers = await leftoverContainers();
    const volumes = await leftoverVolumes();
    // Clean up first so one leak does not cascade into the following tests, then fail loudly.
    await Promise.all(containers.map((id) => docker.getContainer(id).remove({ force: true })));
    await Promise.all(volumes.map((name) => docker.getVolume(name).remove()));
    expect(containers, 'containers left behind').toEqual([]);
    expect(volumes, 'volumes left behind').toEqual([]);
  });

  afterAll(async () => {
    await runtime.close();
    await docker.getImage(nonRootImage).remove({ force: true });
  });

  it('removes the containers a dead worker left running, and only those', async () => {
    const orphan = new AbortController();
    const survivor = new AbortController();
    const orphanRun = runtime
      .run(
        spec({ script: 'sleep 30', labels: { 'tork.suite': SUITE, 'tork.node': `dead-${SUITE}` } }),
        orphan.signal,
      )
      .then(
        (outcome) => `exit code ${outcome.exitCode}`,
        () => 'rejected',
      );
    const survivorRun = runtime.run(
      spec({
        script: 'sleep 2; echo -n alive',
        labels: { 'tork.suite': SUITE, 'tork.node': `live-${SUITE}` },
      }),
      survivor.signal,
    );
    await expect.poll(async () => (await leftoverContainers()).length, { timeout: 10_000 }).toBe(2);
    expect((await runtime.removeLeftovers({ 'tork.node': `dead-${SUITE}` })).containers).toBe(1);
    // The engine may answer the orphan's wait with the kill's exit code before the removal ends.
    expect(['rejected', 'exit code 137']).toContain(await orphanRun);
    await expect(survivorRun).resolves.toMatchObject({ exitCode: 0, result: 'alive' });
  });

  it('bounds engine calls, never the wait for a running container or its output', async () => {
    const bounded = new DockerRuntime({ apiTimeoutMs: 4000 });
    const outcome = await bounded.run(
      spec({ script: 'echo -n started; sleep 6; echo -n " and done"' }),
      never(),
    );
    expect(outcome).toMatchObject({ exitCode: 0, result: 'started and done' });
  }, 30_000);

  it('returns stdout as the result: echo -n hello world', async () => {
    const outcome = await runtime.run(spec({ script: 'echo -n hello world' }), never());
    expect(outcome).toEqual({ exitCode: 0, result: 'hello world', tail: 'hello world', oomKilled: false });
  });

  it('prefers the TORK_OUTPUT file over stdout', async () => {
    const outcome = await runtime.run(
      spec({ script: 'echo noise on stdout\necho -n from the file > "$TORK_OUTPUT"' }),
      never(),
    );
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result).toBe('from the file');
    expect(outcome.tail).toBe('noise on stdout');
  });

  it('writes the script into the container byte for byte and runs it as PID 1, whatever its size or user', async () => {
    // The script prints itself ($0 is the script file) and its process id.
    const script = `echo -n "$$ "; cat "$0"\n# 100% \\n $HOME 'single' "double" \`tick\` \u00fcn\u00efc\u00f6de\n\n`;
    const expected = (text: string): string => `1 ${text}`;
    const small = await runtime.run(spec({ script }), never());
    expect(small).toMatchObject({ exitCode: 0, result: expected(script) });
    const nonRoot = await runtime.run(spec({ image: nonRootImage, script }), never());
    expect(nonRoot).toMatchObject({ exitCode: 0, result: expected(script) });
    // Past what one command-line argument may hold.
    const large = `${script}#${'x'.repeat(200 * 1024)}\n`;
    const outcome = await runtime.run(spec({ script: large }), never());
    expect(outcome).toMatchObject({ exitCode: 0, result: expected(large) });
  });

  it('honours a shebang line', async () => {
    const outcome = await runtime.run(
      spec({ script: '#!/bin/sh -e\necho before\nfalse\necho after' }),
      never(),
    );
    expect(outcome).toMatchObject({ exitCode: 1, result: 'before\n' });
  });

  it('runs as the image user, who can write $TORK_OUTPUT too', async () => {
    const outcome = await runtime.run(
      spec({ image: nonRootImage, script: 'echo noise\necho -n "user $(id -u)" > "$TORK_OUTPUT"' }),
      never(),
    );
    expect(outcome).toMatchObject({ exitCode: 0, result: `user ${NON_ROOT_USER}`, tail: 'noise' });
  });

  it('passes env, and TORK_OUTPUT cannot be overridden', async () => {
    const outcome = await runtime.run(
      spec({
        env: { GREETING: 'hi there', TRICKY: 'a=b "c" $d', TORK_OUTPUT: '/elsewhere' },
        script: 'printf "%s|%s|%s" "$GREETING" "$TRICKY" "$TORK_OUTPUT"',
      }),
      never(),
    );
    expect(outcome.result).toBe('hi there|a=b "c" $d|/tork/output');
  });

  it('reports a non-zero exit code with the last 20 lines of combined output', async () => {
    const chunks: OutputChunk[] = [];
    const outcome = await runtime.run(
      spec({
        // The engine copies stdout and stderr separately, so only a pause orders lines across the two.
        script: 'for i in $(seq 1 30); do echo "line $i"; done\nsleep 0.2\necho "it broke" >&2\nexit 3',
        onOutput: (chunk) => chunks.push(chunk),
      }),
      never(),
    );
    expect(outcome.exitCode).toBe(3);
    const tail = outcome.tail.split('\n');
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('line 12');
    expect(tail.at(-1)).toBe('it broke');
    expect(outcome.result).not.toContain('it broke');
    expect(
      chunks
        .filter((c) => c.stream === 'stderr')
        .map((c) => c.text)
        .join(''),
    ).toBe('it broke\n');
    expect(
      chunks
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.text)
        .join(''),
    ).toContain('line 30\n');
  });

  it('truncates stdout over the cap with a visible marker', async () => {
    const small = new DockerRuntime({ maxResultBytes: 1000 });
    const outcome = await small.run(spec({ script: "head -c 5000 /dev/zero | tr '\\0' a" }), never());
    expect(outcome.result).toBe('a'.repeat(1000) + MARKER(1000));
  });

  it('caps at 1 MiB by default', async () => {
    const outcome = await runtime.run(spec({ script: "head -c 1100000 /dev/zero | tr '\\0' x" }), never());
    expect(outcome.result).toHaveLength(1024 * 1024 + MARKER(1024 * 1024).length);
    expect(outcome.result.endsWith('\n[truncated: output exceeded 1048576 bytes]')).toBe(true);
  });

  it('truncates a TORK_OUTPUT file over the cap too', async () => {
    const small = new DockerRuntime({ maxResultBytes: 1000 });
    const outcome = await small.run(
      spec({ script: `head -c 200000 /dev/zero | tr '\\0' b > "$TORK_OUTPUT"\necho -n stdout` }),
      never(),
    );
    expect(outcome.result).toBe('b'.repeat(1000) + MARKER(1000));
  });

  it('applies the cpu and memory limits', async () => {
    const script = [
      'cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us',
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    ].join('\n');
    const outcome = await runtime.run(spec({ script, cpus: 0.5, memoryBytes: 64 * 1024 * 1024 }), never());
    const [cpu, memory] = outcome.result.trim().split('\n');
    expect(cpu).toMatch(/^50000\b/);
    expect(memory).toBe(String(64 * 1024 * 1024));
  });

  it('reports a container killed for exceeding its memory limit', async () => {
    const outcome = await runtime.run(
      spec({ script: 'head -c 67108864 /dev/zero | tail', memoryBytes: 10 * 1024 * 1024 }),
      never(),
    );
    expect(outcome.oomKilled || outcome.exitCode === 137).toBe(true);
    expect(outcome.exitCode).not.toBe(0);
  });

  it('reports a run that outlives the kill of one of its processes as exited 0, not killed', async () => {
    // The hog's shell marks itself (and so head and tail) the OOM killer's first choice: which
    // process of the container it kills is the kernel's pick, and once, under load, it was the script.
    const hog = "sh -c 'echo 1000 > /proc/self/oom_score_adj; head -c 67108864 /dev/zero | tail'";
    const outcome = await runtime.run(
      spec({
        script: `${hog}\necho -n survived`,
        memoryBytes: 10 * 1024 * 1024,
      }),
      never(),
    );
    expect(outcome).toMatchObject({ exitCode: 0, result: 'survived', oomKilled: false });
  });

  it('runs the image default command when there is no script', async () => {
    const outcome = await runtime.run(spec(), never());
    expect(outcome).toMatchObject({ exitCode: 0, result: '' });
  });

  it('kills, removes and rejects with the reason when aborted mid-run', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const run = runtime.run(
      spec({
        script: 'echo started\nsleep 30',
        onOutput: (chunk) => {
          if (chunk.text.includes('started')) controller.abort(reason);
        },
      }),
      controller.signal,
    );
    const startedAt = Date.now();
    await expect(run).rejects.toBe(reason);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('rejects an already aborted signal without touching the engine', async () => {
    const controller = new AbortController();
    const reason = new Error('too late');
    controller.abort(reason);
    // A missing image with pullPolicy never would reject differently if the runtime went ahead.
    const strict = new DockerRuntime({ pullPolicy: 'never' });
    await expect(strict.run(spec({ image: `tork/absent-${SUITE}:x` }), controller.signal)).rejects.toBe(
      reason,
    );
  });

  it('leaves nothing behind when aborted at any stage of starting', async () => {
    for (const delayMs of [0, 1, 5, 15, 30, 60, 120, 250]) {
      const controller = new AbortController();
      const reason = new Error(`abort after ${delayMs} ms`);
      const run = runtime.run(spec({ script: 'sleep 30' }), controller.signal);
      setTimeout(() => {
        controller.abort(reason);
      }, delayMs);
      await expect(run).rejects.toBe(reason);
      expect(await leftoverContainers()).toEqual([]);
    }
  });

  it("fails clearly when the image is missing and the pull policy is 'never'", async () => {
    const strict = new DockerRuntime({ pullPolicy: 'never' });
    const image = `tork/absent-${SUITE}:nope`;
    const run = strict.run(spec({ image, script: 'true' }), never());
    await expect(run).rejects.toBeInstanceOf(RuntimeError);
    await expect(run).rejects.toMatchObject({
      kind: 'image',
      message: `image ${image}: not found locally and the pull policy is 'never'`,
    });
  });

  it("fails with the engine's message when pulling a missing image fails", async () => {
    const image = `tork/absent-${SUITE}:nope`;
    // Two concurrent runs, with and without a script, share one pull and both fail with its message.
    const runs = [
      runtime.run(spec({ image }), never()),
      runtime.run(spec({ image, script: 'true' }), never()),
    ];
    for (const run of runs) {
      await expect(run).rejects.toMatchObject({
        kind: 'image',
        message: expect.stringMatching(
          new RegExp(`^image ${image}: not found locally and pull failed: (?!\\(HTTP code).+`),
        ) as unknown,
      });
    }
  });

  it('shares a volume between runs, and removes it idempotently', async () => {
    const volume = await runtime.createVolume(`tork-test-${SUITE}-shared`);
    try {
      const info = await docker.getVolume(volume).inspect();
      expect(info.Labels).toMatchObject({ tork: 'true' });
      const mounts = [{ type: 'volume' as const, source: volume, target: '/data' }];
      const write = await runtime.run(
        spec({ mounts, script: 'echo -n written by run 1 > /data/note' }),
        never(),
      );
      expect(write.exitCode).toBe(0);
      const read = await runtime.run(spec({ mounts, script: 'cat /data/note' }), never());
      expect(read.result).toBe('written by run 1');
    } finally {
      await runtime.removeVolume(volume);
    }
    await expect(runtime.removeVolume(volume)).resolves.toBeUndefined();
  });

  it("answers health checks, and reports an unreachable engine as kind 'runtime'", async () => {
    await expect(runtime.healthCheck()).resolves.toBeUndefined();
    const nowhere = new DockerRuntime({ socketPath: `/tmp/no-docker-${SUITE}.sock` });
    await expect(nowhere.healthCheck()).rejects.toMatchObject({ kind: 'runtime' });
    await expect(nowhere.run(spec({ script: 'true' }), never())).rejects.toMatchObject({
      kind: 'runtime',
      message: expect.stringContaining('ENOENT') as unknown,
    });
    await nowhere.close();
    await nowhere.close();
  });
});

const RUN_LABEL = 'tork.run';
