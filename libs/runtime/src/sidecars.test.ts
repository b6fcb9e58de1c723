import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { afterEach, expect, it } from 'vitest';
import type { ContainerSpec, SidecarSpec } from '@tork/domain';
// Test helpers are test code: adapters depend on @tork/testing from their tests only, never from src.
import { describeWithService, dockerAvailable } from '@tork/testing';
import { DockerRuntime } from './docker-runtime.js';
import { SidecarNotReadyError } from './sidecars.js';

const IMAGE = 'tork/busybox:latest';
/** Tags this file's containers and networks so parallel suites on the same engine do not disturb the checks. */
const SUITE = randomUUID().slice(0, 8);
const LABELS = { 'tork.suite': SUITE };

const describeDocker = describeWithService(
  'Docker engine',
  await dockerAvailable(),
  'start it with `bash .ci/run` or `dockerd --bridge=none --iptables=false --ip-masq=false &`',
);

describeDocker('sidecars (real engine)', () => {
  const docker = new Docker();
  const runtime = new DockerRuntime({ probeImage: IMAGE, defaultNetwork: 'none' });
  let counter = 0;

  /** A busybox web server that writes its page first, as a user's sidecar script would. */
  const web = (overrides: Partial<SidecarSpec> = {}): SidecarSpec => ({
    name: 'web',
    image: IMAGE,
    script:
      'mkdir -p /www && echo -n "hello from $GREETING" > /www/index.html && exec httpd -f -p 8080 -h /www',
    env: { GREETING: 'the sidecar' },
    probe: { path: '/', port: 8080, timeoutMs: 10_000 },
    ...overrides,
  });
  const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name: `sc-${SUITE}-${++counter}`,
    image: IMAGE,
    env: {},
    mounts: [],
    labels: LABELS,
    ...overrides,
  });
  const never = (): AbortSignal => new AbortController().signal;

  const leftovers = async (): Promise<{ containers: string[]; networks: string[] }> => {
    const filters = { label: [`tork.suite=${SUITE}`] };
    const containers = await docker.listContainers({ all: true, filters });
    const networks = await docker.listNetworks({ filters });
    return { containers: containers.map((c) => c.Names.join()), networks: networks.map((n) => n.Name) };
  };

  afterEach(async () => {
    const left = await leftovers();
    // Clean up first so one leak does not cascade into the following tests, then fail loudly.
    const filters = { label: [`tork.suite=${SUITE}`] };
    const containers = await docker.listContainers({ all: true, filters });
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    const networks = await docker.listNetworks({ filters });
    await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove()));
    expect(left, 'left behind').toEqual({ containers: [], networks: [] });
  });

  it('starts a sidecar, waits for its probe, and lets the task reach it by name', async () => {
    const outcome = await runtime.run(
      // The server comes up late: only the probe's wait lets the task's single fetch succeed.
      spec({
        sidecars: [web({ script: `sleep 1.5 && ${web().script ?? ''}` })],
        script: 'wget -q -O - http://web:8080/',
      }),
      never(),
    );
    expect(outcome).toMatchObject({ exitCode: 0, result: 'hello from the sidecar' });
  });

  it('hardens sidecars as it does tasks', async () => {
    const run = runtime.run(spec({ sidecars: [web({ probe: undefined })], script: 'sleep 3' }), never());
    const sidecarId = async (): Promise<string | undefined> => {
      const filters = { label: [`tork.suite=${SUITE}`, 'tork.sidecar=web'] };
      return (await docker.listContainers({ filters }))[0]?.Id;
    };
    await expect.poll(sidecarId, { timeout: 10_000 }).toBeDefined();
    const info = await docker.getContainer((await sidecarId()) ?? 'gone').inspect();
    expect(info.HostConfig).toMatchObject({
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 1024,
      Privileged: false,
    });
    expect(info.HostConfig.CapDrop).toEqual(
      expect.arrayContaining(['NET_RAW', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP', 'SYS_CHROOT']),
    );
    // This runtime gives tasks no network, so their sidecars' network has no route out either.
    const network = await docker.getNetwork(info.HostConfig.NetworkMode ?? 'none').inspect();
    expect(network).toMatchObject({ Internal: true, Labels: { 'tork.suite': SUITE } });
    await expect(run).resolves.toMatchObject({ exitCode: 0 });
  });

  it("applies the worker's own hardening flags to sidecars (-pids-limit, -cap-add)", async () => {
    const strict = new DockerRuntime({ probeImage: IMAGE, pidsLimit: 256, capAdd: ['NET_RAW'] });
    const run = strict.run(spec({ sidecars: [web({ probe: undefined })], script: 'sleep 3' }), never());
    const sidecarId = async (): Promise<string | undefined> => {
      const filters = { label: [`tork.suite=${SUITE}`, 'tork.sidecar=web'] };
      return (await docker.listContainers({ filters }))[0]?.Id;
    };
    await expect.poll(sidecarId, { timeout: 10_000 }).toBeDefined();
    const info = await docker.getContainer((await sidecarId()) ?? 'gone').inspect();
    expect(info.HostConfig.PidsLimit).toBe(256);
    expect(info.HostConfig.CapDrop).not.toContain('NET_RAW');
    expect(info.HostConfig.CapAdd).toContain('NET_RAW');
    await expect(run).resolves.toMatchObject({ exitCode: 0 });
  });

  it('fails within the probe timeout when a sidecar never answers, and leaves nothing behind', async () => {
    const startedAt = Date.now();
    const run = runtime.run(
      spec({
        sidecars: [
          web({ name: 'db', script: 'sleep 60', probe: { path: '/health', port: 5432, timeoutMs: 2_000 } }),
        ],
        script: 'echo -n should not run',
      }),
      never(),
    );
    await expect(run).rejects.toBeInstanceOf(SidecarNotReadyError);
    await expect(run).rejects.toThrow('sidecar "db" did not answer 200 on :5432/health within 2s');
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it('leaves nothing behind when aborted mid-probe', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled while the sidecar starts');
    const run = runtime.run(
      spec({
        sidecars: [web({ script: 'sleep 60', probe: { path: '/', port: 8080, timeoutMs: 30_000 } })],
        script: 'echo -n should not run',
      }),
      controller.signal,
    );
    // Abort once the probe's helper container runs.
    await expect
      .poll(
        async () =>
          (await docker.listContainers({ filters: { label: [`tork.suite=${SUITE}`, 'tork.probe=web'] } }))
            .length,
        { timeout: 10_000 },
      )
      .toBe(1);
    const abortedAt = Date.now();
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(5_000);
  });

  it('refuses a sidecar name that is not a host name before anything starts', async () => {
    const run = runtime.run(spec({ sidecars: [web({ name: 'Web Server' })], script: 'true' }), never());
    await expect(run).rejects.toMatchObject({ name: 'RuntimeError', kind: 'rejected' });
    await expect(run).rejects.toThrow(
      'sidecar "Web Server": a name is lower-case letters, digits and dashes',
    );
  });

  it('removes the sidecar networks a dead worker left behind, and only those', async () => {
    const dead = `dead-${SUITE}`;
    await docker.createNetwork({ Name: `tork-${dead}-net`, Labels: { ...LABELS, 'tork.node': dead } });
    await docker.createNetwork({
      Name: `tork-live-${SUITE}-net`,
      Labels: { ...LABELS, 'tork.node': `live-${SUITE}` },
    });
    expect(await runtime.removeLeftovers({ 'tork.node': dead })).toMatchObject({ networks: 1 });
    const names = (await leftovers()).networks;
    expect(names).toEqual([`tork-live-${SUITE}-net`]);
    await docker.getNetwork(`tork-live-${SUITE}-net`).remove();
  });
});
