import { describe, expect, it } from 'vitest';
import { RuntimeError } from '@tork/domain';
import type { ContainerSpec } from '@tork/domain';
import { containerCreateOptions, stagingFor } from './container-spec.js';
import type { ContainerPolicy } from './container-spec.js';

const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec & { image: string } => ({
  name: 'job1-task1',
  image: 'busybox',
  env: {},
  mounts: [],
  ...overrides,
});
const policy: ContainerPolicy = { pidsLimit: 1024, capAdd: [], privileged: false, readOnlyRootfs: false };
const build = (overrides: Partial<ContainerSpec> = {}, with_: Partial<ContainerPolicy> = {}) =>
  containerCreateOptions(spec(overrides), 'archive', { ...policy, ...with_ });
const rejection = (work: () => unknown): RuntimeError => {
  try {
    work();
  } catch (error) {
    if (error instanceof RuntimeError) return error;
    throw error;
  }
  throw new Error('expected a RuntimeError');
};

describe('containerCreateOptions', () => {
  it('hardens every container: no-new-privileges, a pids limit, capabilities dropped, not privileged', () => {
    const { HostConfig } = build();
    expect(HostConfig).toMatchObject({
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 1024,
      CapDrop: ['NET_RAW', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP', 'SYS_CHROOT'],
      Privileged: false,
    });
    expect(HostConfig?.CapAdd).toBeUndefined();
    expect(HostConfig?.ReadonlyRootfs).toBeUndefined();
  });

  it('gives a capability back with capAdd, and privileges only when asked', () => {
    const { HostConfig } = build(
      {},
      { capAdd: ['cap_net_raw', 'SYS_PTRACE'], privileged: true, pidsLimit: 50 },
    );
    expect(HostConfig?.CapDrop).toEqual(['MKNOD', 'AUDIT_WRITE', 'SETFCAP', 'SYS_CHROOT']);
    expect(HostConfig?.CapAdd).toEqual(['NET_RAW', 'SYS_PTRACE']);
    expect(HostConfig?.Privileged).toBe(true);
    expect(HostConfig?.PidsLimit).toBe(50);
  });

  it('makes the root read-only with a writable /tmp and /tork when asked', () => {
    const { HostConfig } = build({ labels: { 'tork.node': 'n1' } }, { readOnlyRootfs: true });
    expect(HostConfig?.ReadonlyRootfs).toBe(true);
    expect(Object.keys(HostConfig?.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(HostConfig?.Mounts).toMatchObject([
      { Type: 'volume', Source: '', Target: '/tork', VolumeOptions: { Labels: { 'tork.node': 'n1' } } },
    ]);
  });

  it('runs a script through sh, or through the entrypoint as its last argument', () => {
    expect(build({ script: 'echo hi' })).toMatchObject({
      Entrypoint: ['sh', '-c'],
      Cmd: ['/tork/entrypoint'],
    });
    expect(containerCreateOptions(spec({ script: 'echo hi' }), 'bootstrap', policy).Cmd?.slice(1)).toEqual([
      'tork',
      'echo hi',
    ]);
    expect(build({ script: 'echo hi', entrypoint: ['bash', '-c'] })).toMatchObject({
      Entrypoint: ['bash', '-c'],
      Cmd: ['echo hi'],
    });
  });

  it('passes entrypoint and cmd as given without a script, and neither when unset', () => {
    expect(build({ entrypoint: ['/bin/echo'], cmd: ['a', 'b'] })).toMatchObject({
      Entrypoint: ['/bin/echo'],
      Cmd: ['a', 'b'],
    });
    const plain = build();
    expect(plain.Entrypoint).toBeUndefined();
    expect(plain.Cmd).toBeUndefined();
  });

  it('sets TORK_OUTPUT and TORK_PROGRESS, which a task cannot override', () => {
    const { Env } = build({ env: { A: '1', TORK_OUTPUT: '/x', TORK_PROGRESS: '/y' } });
    expect(Env).toEqual(['A=1', 'TORK_OUTPUT=/tork/output', 'TORK_PROGRESS=/tork/progress']);
  });

  it('sets the working directory, the runtime’s own when files need one, and the user', () => {
    expect(build({ workdir: '/app', user: '1000:1000' })).toMatchObject({
      WorkingDir: '/app',
      User: '1000:1000',
    });
    expect(build({ files: { 'a.txt': 'A' } }).WorkingDir).toBe('/tork/workdir');
    expect(build().WorkingDir).toBeUndefined();
  });

  it('mounts volumes with labels, tmpfs with a size, and binds', () => {
    const { HostConfig } = build({
      labels: { 'tork.node': 'n1' },
      mounts: [
        { type: 'volume', source: 'v1', target: '/data' },
        { type: 'tmpfs', target: '/scratch', sizeBytes: 1024 * 1024 },
        { type: 'bind', source: '/srv/in', target: '/in', readOnly: true },
      ],
    });
    expect(HostConfig?.Mounts).toEqual([
      {
        Type: 'volume',
        Source: 'v1',
        Target: '/data',
        VolumeOptions: {
          NoCopy: false,
          Labels: { 'tork.node': 'n1' },
          DriverConfig: { Name: 'local', Options: {} },
        },
      },
      {
        Type: 'tmpfs',
        Source: '',
        Target: '/scratch',
        TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o1777 },
      },
      { Type: 'bind', Source: '/srv/in', Target: '/in', ReadOnly: true },
    ]);
  });

  it('refuses a mount over /tork', () => {
    const error = rejection(() => build({ mounts: [{ type: 'tmpfs', target: '/tork/x' }] }));
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('/tork belongs to the runtime');
  });

  it("uses the engine's default network, the worker's default, or the task's first network", () => {
    expect(build().HostConfig?.NetworkMode).toBeUndefined();
    expect(build({}, { defaultNetwork: 'none' }).HostConfig?.NetworkMode).toBe('none');
    expect(build({ networks: ['a', 'b'] }, { defaultNetwork: 'none' }).HostConfig?.NetworkMode).toBe('a');
  });

  it('asks for GPUs with a device request, and rejects a bad --gpus value', () => {
    expect(build({ gpus: 'count=2' }).HostConfig?.DeviceRequests).toEqual([
      { Driver: '', Count: 2, DeviceIDs: [], Capabilities: [['gpu']], Options: {} },
    ]);
    expect(rejection(() => build({ gpus: 'lots' })).kind).toBe('rejected');
  });

  it('applies cpu and memory limits, swap included', () => {
    expect(build({ cpus: 0.5, memoryBytes: 64 }).HostConfig).toMatchObject({
      NanoCpus: 500_000_000,
      Memory: 64,
      MemorySwap: 64,
    });
  });

  it('labels the container with its run and names it for Docker', () => {
    expect(build({ name: 'job 1/task', labels: { 'tork.node': 'n1' } })).toMatchObject({
      name: 'tork-job-1-task',
      Labels: { 'tork.node': 'n1', 'tork.run': 'job 1/task' },
    });
  });
});

describe('stagingFor', () => {
  it('bootstraps a small script run as root, and archives everything else', () => {
    expect(stagingFor(spec({ script: 'echo' }), true)).toBe('bootstrap');
    expect(stagingFor(spec({ script: 'echo' }), false)).toBe('archive');
    expect(stagingFor(spec({ script: 'echo', files: { a: 'b' } }), true)).toBe('archive');
    expect(stagingFor(spec({ script: 'echo', entrypoint: ['bash', '-c'] }), true)).toBe('archive');
    expect(stagingFor(spec({ script: 'echo', env: { PATH: '/x' } }), true)).toBe('archive');
    expect(stagingFor(spec({ script: 'x'.repeat(65 * 1024) }), true)).toBe('archive');
    expect(stagingFor(spec(), true)).toBe('archive');
  });
});
