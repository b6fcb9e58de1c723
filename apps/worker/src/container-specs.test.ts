import { expect, it } from 'vitest';
import { sidecarSpec, slug } from './container-specs.js';

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
