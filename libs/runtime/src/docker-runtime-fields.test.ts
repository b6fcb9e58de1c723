import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RuntimeError } from '@tork/domain';
import type { ContainerSpec } from '@tork/domain';
// Test helpers are test code: adapters depend on @tork/testing from their tests only, never from src.
import { describeWithService, dockerAvailable } from '@tork/testing';
import { DockerRuntime } from './docker-runtime.js';

const IMAGE = 'tork/busybox:latest';
/** Tags this file's containers, volumes and networks so parallel suites do not disturb the checks. */
const SUITE = randomUUID().slice(0, 8);
const SUITE_LABEL = 'tork.suite';

const describeDocker = describeWithService(
  'Docker engine',
  await dockerAvailable(),
  'start it with `bash .ci/run` or `dockerd --bridge=none --iptables=false --ip-masq=false &`',
);

describeDocker('DockerRuntime: container fields, hardening, networks (real engine)', () => {
  const docker = new Docker();
  const runtime = new DockerRuntime();
  let counter = 0;
  const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name: `fields-${SUITE}-${++counter}`,
    image: IMAGE,
    env: {},
    mounts: [],
    labels: { [SUITE_LABEL]: SUITE },
    ...overrides,
  });
  const never = (): AbortSignal => new AbortController().signal;
  const filters = { label: [`${SUITE_LABEL}=${SUITE}`] };
  const leftovers = async (): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> => ({
    containers: (await docker.listContainers({ all: true, filters })).map((c) => c.Id),
    volumes: (await docker.listVolumes({ filters })).Volumes.map((v) => v.Name),
    networks: (await docker.listNetworks({ filters })).map((n) => n.Id),
  });

  beforeAll(async () => {
    try {
      await docker.getImage(IMAGE).inspect();
    } catch {
      throw new Error(`test image ${IMAGE} is missing: build it with \`bash tools/test-images.sh\``);
    }
  });

  afterEach(async () => {
    const left = await leftovers();
    // Clean up first so one leak does not cascade into the following tests, then fail loudly.
    await Promise.all(left.containers.map((id) => docker.getContainer(id).remove({ force: true, v: true })));
    await Promise.all(left.volumes.map((name) => docker.getVolume(name).remove()));
    await Promise.all(left.networks.map((id) => docker.getNetwork(id).remove()));
    expect(left).toEqual({ containers: [], volumes: [], networks: [] });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('hardens the container: inspected while it runs, and seen from inside', async () => {
    const name = `fields-${SUITE}-hardened`;
    const run = runtime.run(spec({ name, script: 'grep NoNewPrivs /proc/self/status; sleep 1' }), never());
    await expect
      .poll(async () => (await docker.listContainers({ filters: { label: [`tork.run=${name}`] } })).length)
      .toBe(1);
    const [listed] = await docker.listContainers({ filters: { label: [`tork.run=${name}`] } });
    const info = await docker.getContainer(listed?.Id ?? '').inspect();
    expect(info.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    expect(info.HostConfig.PidsLimit).toBe(1024);
    expect(info.HostConfig.CapDrop).toEqual(
      expect.arrayContaining(['NET_RAW', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP', 'SYS_CHROOT']),
    );
    expect(info.HostConfig.Privileged).toBe(false);
    const outcome = await run;
    expect(outcome.result).toMatch(/^NoNewPrivs:\s+1$/m);
  });

  it('drops NET_RAW and the rest from the capability set, and gives one back with capAdd', async () => {
    // Bit 13 of CapEff is CAP_NET_RAW.
    const script = 'echo $(( (0x$(grep CapEff /proc/self/status | cut -f2) >> 13) & 1 ))';
    expect((await runtime.run(spec({ script }), never())).result.trim()).toBe('0');
    const generous = new DockerRuntime({ capAdd: ['NET_RAW'] });
    expect((await generous.run(spec({ script }), never())).result.trim()).toBe('1');
  });

  it('stops a fork bomb at the pids limit, and removes the container after', async () => {
    const outcome = await runtime.run(
      spec({ script: 'i=0; while [ $i -lt 2000 ]; do sleep 30 & i=$((i+1)); done; echo started all' }),
      never(),
    );
    expect(outcome.tail).toMatch(/can't fork/);
    expect(outcome.result).not.toContain('started all');
  });

  it('runs cmd without a script, through an entrypoint when one is given', async () => {
    expect((await runtime.run(spec({ cmd: ['echo', '-n', 'from cmd'] }), never())).result).toBe('from cmd');
    const outcome = await runtime.run(
      spec({ entrypoint: ['/bin/echo', '-n'], cmd: ['through', 'entry'] }),
      never(),
    );
    expect(outcome.result).toBe('through entry');
  });

  it('runs the script through bash with entrypoint ["bash", "-c"], and can still write $TORK_OUTPUT', async () => {
    const outcome = await runtime.run(
      spec({
        entrypoint: ['bash', '-c'],
        script: 'arr=(a b c); echo "noise"; echo -n "bash ${BASH_VERSINFO[0]} ${arr[2]}" > "$TORK_OUTPUT"',
      }),
      never(),
    );
    expect(outcome).toMatchObject({ exitCode: 0, result: 'bash 5 c', tail: 'noise' });
  });

  it('writes files read-only into the working directory, the runtime’s own or the task’s', async () => {
    const files = { 'hello.txt': 'hello from a file', 'run.sh': 'echo -n script file' };
    const own = await runtime.run(
      spec({ files, script: 'pwd; cat hello.txt; echo; sh run.sh; echo; stat -c %a hello.txt' }),
      never(),
    );
    expect(own.result).toBe('/tork/workdir\nhello from a file\nscript file\n444\n');
    // Root overrides file modes (DAC_OVERRIDE); another user cannot write them.
    const nonRoot = await runtime.run(
      spec({
        files,
        user: '65534',
        workdir: '/app',
        script: 'pwd; cat hello.txt; echo; echo x >> hello.txt || echo refused',
      }),
      never(),
    );
    expect(nonRoot).toMatchObject({ exitCode: 0, result: '/app\nhello from a file\nrefused\n' });
  });

  it('runs in the working directory asked for, as the user asked for', async () => {
    const outcome = await runtime.run(
      spec({ workdir: '/var/work', user: '65534:65534', script: 'pwd; id -u; id -g' }),
      never(),
    );
    expect(outcome.result).toBe('/var/work\n65534\n65534\n');
  });

  it('mounts a tmpfs with its size, and a host directory', async () => {
    const tmpfs = await runtime.run(
      spec({
        mounts: [{ type: 'tmpfs', target: '/scratch', sizeBytes: 4 * 1024 * 1024 }],
        script:
          "grep ' /scratch ' /proc/mounts | cut -d' ' -f3; head -c 5000000 /dev/zero > /scratch/big || echo full",
      }),
      never(),
    );
    expect(tmpfs.result).toMatch(/^tmpfs\n[\s\S]*full\n$/);
    const host = mkdtempSync(join(tmpdir(), 'tork-bind-'));
    try {
      writeFileSync(join(host, 'in.txt'), 'from the host');
      const bind = await runtime.run(
        spec({
          mounts: [{ type: 'bind', source: host, target: '/host', readOnly: true }],
          script: 'cat /host/in.txt; touch /host/new 2>/dev/null || echo " read-only"',
        }),
        never(),
      );
      expect(bind.result).toBe('from the host read-only\n');
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('runs with a read-only root and a writable /tmp and /tork, files and progress included', async () => {
    const readOnly = new DockerRuntime({ readOnlyRootfs: true });
    const seen: number[] = [];
    const outcome = await readOnly.run(
      spec({
        script:
          'touch /etc/x 2>/dev/null || echo ro; touch /tmp/x && echo tmp; echo 30 > $TORK_PROGRESS; sleep 1.2; echo -n done > "$TORK_OUTPUT"',
        onProgress: (percent) => seen.push(percent),
      }),
      never(),
    );
    expect(outcome).toMatchObject({ exitCode: 0, result: 'done', tail: 'ro\ntmp' });
    expect(seen).toEqual([30]);
    const withFiles = await readOnly.run(spec({ files: { 'a.txt': 'A' }, script: 'cat a.txt' }), never());
    expect(withFiles).toMatchObject({ exitCode: 0, result: 'A' });
    // A script through an entrypoint needs /tork staged by putArchive, into the volume.
    const throughBash = await readOnly.run(
      spec({ entrypoint: ['bash', '-c'], script: 'echo -n via bash > $TORK_OUTPUT' }),
      never(),
    );
    expect(throughBash).toMatchObject({ exitCode: 0, result: 'via bash' });
    // Another user writes $TORK_OUTPUT and $TORK_PROGRESS too; stdout stays the result until it does.
    const progress: number[] = [];
    const nonRoot = await readOnly.run(
      spec({
        user: '65534',
        script: 'echo 70 > $TORK_PROGRESS; sleep 1.2; echo -n "$(id -u) wrote" > $TORK_OUTPUT',
        onProgress: (percent) => progress.push(percent),
      }),
      never(),
    );
    expect(nonRoot).toMatchObject({ exitCode: 0, result: '65534 wrote' });
    expect(progress).toEqual([70]);
    const silent = await readOnly.run(spec({ user: '65534', script: 'echo -n on stdout' }), never());
    expect(silent.result).toBe('on stdout');
  });

  it('reports progress while the container runs, each value once', async () => {
    const seen: { percent: number; at: number }[] = [];
    const started = Date.now();
    const outcome = await runtime.run(
      spec({
        script:
          'echo 10 > $TORK_PROGRESS; sleep 1.5; echo 10 > $TORK_PROGRESS; sleep 1; echo 50.5 > $TORK_PROGRESS; sleep 1.5; echo junk > $TORK_PROGRESS; sleep 1.2; echo 200 > $TORK_PROGRESS; sleep 1.2',
        onProgress: (percent) => seen.push({ percent, at: Date.now() - started }),
      }),
      never(),
    );
    expect(outcome.exitCode).toBe(0);
    expect(seen.map((s) => s.percent)).toEqual([10, 50.5, 100]);
    // Seen while it ran, not after: the first value well before the container's 6 s end.
    expect(seen[0]?.at).toBeLessThan(3000);
  });

  it('joins the networks a task names, and reaches a server on them by name', async () => {
    const created = await Promise.all(
      ['a', 'b'].map((suffix) =>
        docker.createNetwork({
          Name: `tork-test-${SUITE}-${suffix}`,
          Driver: 'bridge',
          Labels: { [SUITE_LABEL]: SUITE },
        }),
      ),
    );
    const [first, second] = [`tork-test-${SUITE}-a`, `tork-test-${SUITE}-b`] as const;
    const server = await docker.createContainer({
      Image: IMAGE,
      name: `tork-test-${SUITE}-httpd`,
      Labels: { [SUITE_LABEL]: SUITE },
      Cmd: ['sh', '-c', 'mkdir /www && echo -n served by name > /www/index.html && httpd -f -p 8080 -h /www'],
      HostConfig: { NetworkMode: second },
      NetworkingConfig: { EndpointsConfig: { [second]: { Aliases: ['web'] } } },
    });
    try {
      await server.start();
      const fetch = 'for i in 1 2 3 4 5; do wget -q -O - http://web:8080/ && exit 0; sleep 0.3; done; exit 1';
      const isolated = new DockerRuntime({ defaultNetwork: 'none' });
      // The server is on the second network: the task reaches it only by joining both.
      const outcome = await isolated.run(spec({ networks: [first, second], script: fetch }), never());
      expect(outcome).toMatchObject({ exitCode: 0, result: 'served by name' });
      const cutOff = await isolated.run(spec({ script: fetch }), never());
      expect(cutOff.exitCode).toBe(1);
    } finally {
      await server.remove({ force: true });
      await Promise.all(created.map((network) => network.remove()));
    }
  });

  it("uses the engine's default network when nothing is set, none when the worker says so", async () => {
    const script = "ls /sys/class/net | tr '\\n' ' '";
    const byDefault = await runtime.run(spec({ script }), never());
    const isolated = await new DockerRuntime({ defaultNetwork: 'none' }).run(spec({ script }), never());
    expect(isolated.result.trim()).toBe('lo');
    // On this engine (dockerd --bridge=none) the default network is loopback-only too; what tells
    // them apart is the network mode the engine recorded.
    expect(byDefault.exitCode).toBe(0);
    const name = `fields-${SUITE}-netmode`;
    const run = runtime.run(spec({ name, script: 'sleep 1' }), never());
    await expect
      .poll(async () => (await docker.listContainers({ filters: { label: [`tork.run=${name}`] } })).length)
      .toBe(1);
    const [listed] = await docker.listContainers({ filters: { label: [`tork.run=${name}`] } });
    expect(listed?.HostConfig.NetworkMode).toBe('default');
    await run;
  });

  it('removes the containers, volumes and networks a dead worker left, and only those', async () => {
    const dead = { [SUITE_LABEL]: SUITE, 'tork.node': `dead-${SUITE}` };
    const live = { [SUITE_LABEL]: SUITE, 'tork.node': `live-${SUITE}` };
    await runtime.createVolume(`tork-test-${SUITE}-dead`, { labels: dead });
    await runtime.createVolume(`tork-test-${SUITE}-live`, { labels: live });
    await docker.createNetwork({ Name: `tork-test-${SUITE}-dead`, Labels: dead });
    const orphan = runtime
      .run(spec({ script: 'sleep 30', labels: dead }), never())
      .catch((error: unknown) => error);
    await expect
      .poll(
        async () => (await docker.listContainers({ filters: { label: [`tork.node=dead-${SUITE}`] } })).length,
      )
      .toBe(1);
    const removed = await runtime.removeLeftovers({ 'tork.node': `dead-${SUITE}` });
    expect(removed).toEqual({ containers: 1, volumes: 1, networks: 1 });
    await orphan;
    expect((await leftovers()).volumes).toEqual([`tork-test-${SUITE}-live`]);
    await runtime.removeVolume(`tork-test-${SUITE}-live`);
  });

  it("fails with kind 'rejected' and a clear message when GPUs are asked of a GPU-less engine", async () => {
    const run = runtime.run(spec({ gpus: 'all', script: 'true' }), never());
    await expect(run).rejects.toBeInstanceOf(RuntimeError);
    await expect(run).rejects.toMatchObject({
      kind: 'rejected',
      message: expect.stringContaining(
        'gpus "all" asked for, but this Docker engine has no GPU runtime',
      ) as unknown,
    });
  });

  it("fails with kind 'rejected' for a network that does not exist, and 'image' for a missing image", async () => {
    await expect(
      runtime.run(spec({ networks: [`absent-${SUITE}`], script: 'true' }), never()),
    ).rejects.toMatchObject({
      kind: 'rejected',
    });
    const strict = new DockerRuntime({ pullPolicy: 'never' });
    await expect(
      strict.run(spec({ image: `tork/absent-${SUITE}:x`, script: 'true' }), never()),
    ).rejects.toMatchObject({
      kind: 'image',
    });
  });
});
