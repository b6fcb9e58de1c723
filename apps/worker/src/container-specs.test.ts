import { expect, it } from 'vitest';
import { sidecarSpec, slug, taskMounts, taskVolumes } from './container-specs.js';

it.each([
  ['My DB', 'my-db'],
  ['  redis__cache!! ', 'redis-cache'],
  ['web', 'web'],
  ['***', 'sidecar'],
  ['a'.repeat(70), 'a'.repeat(63)],
])('names sidecar %j as host %j', (name, host) => {
  expect(slug(name)).toBe(host);
});

it("parses a sidecar probe's timeout, one minute when it has none", () => {
  const probe = { path: '/health', port: 8080 };
  expect(sidecarSpec({ name: 'a', image: 'i', probe }).probe).toEqual({ ...probe, timeoutMs: 60_000 });
  expect(sidecarSpec({ name: 'a', image: 'i', probe: { ...probe, timeout: '10s' } }).probe).toEqual({
    ...probe,
    timeoutMs: 10_000,
  });
});

it("mounts a task's volumes, its fresh `volume` mounts, its tmpfs and its allowed binds", () => {
  const task = {
    id: 't1',
    jobId: 'j1',
    attempt: 1,
    queue: 'default',
    spec: {
      image: 'busybox',
      volumes: ['/data'],
      mounts: [
        { type: 'bind' as const, source: '/srv/in', target: '/in' },
        { type: 'volume' as const, target: '/cache' },
        { type: 'tmpfs' as const, target: '/scratch' },
      ],
    },
  };
  const volumes = taskVolumes(task);
  expect(volumes).toEqual([
    { name: 'tork-t1-0', target: '/data' },
    { name: 'tork-t1-m1', target: '/cache' },
  ]);
  expect(taskMounts(task, volumes)).toEqual([
    { type: 'volume', source: 'tork-t1-0', target: '/data' },
    { type: 'volume', source: 'tork-t1-m1', target: '/cache' },
    { type: 'bind', source: '/srv/in', target: '/in' },
    { type: 'tmpfs', target: '/scratch' },
  ]);
});
