import { describe, expect, it } from 'vitest';
import type { RuntimeFeatures } from './ports/runtime.js';
import { isUnder, policyProblems, unsupportedFieldProblems } from './worker-policy.js';

const ALL: RuntimeFeatures = {
  images: true,
  cmd: true,
  entrypoint: true,
  files: true,
  workdir: true,
  mounts: ['volume', 'tmpfs', 'bind'],
  networks: true,
  sidecars: true,
  registry: true,
  gpus: true,
  limits: true,
  user: true,
};

describe('policyProblems', () => {
  it('refuses CPUs below the floor and over the ceiling, memory and timeouts over theirs', () => {
    const problems = policyProblems(
      {
        image: 'busybox',
        limits: { cpus: '0.000000001', memory: '2g' },
        timeout: '2h',
        post: [{ image: 'busybox', timeout: '3h' }],
      },
      { maxCpus: 2, maxMemoryBytes: 1024 ** 3, maxTimeoutMs: 3_600_000 },
      'tasks[0]',
    );
    expect(problems.map((p) => p.path)).toEqual([
      'tasks[0].limits.cpus',
      'tasks[0].limits.memory',
      'tasks[0].timeout',
      'tasks[0].post[0].timeout',
    ]);
    expect(problems[0]?.message).toBe('must be at least 0.01');
    expect(policyProblems({ image: 'b', limits: { cpus: 4 } }, { maxCpus: 2 }, 't')[0]?.message).toContain(
      '-max-cpus',
    );
  });

  it('refuses binds unless their source is under an allowed prefix', () => {
    const spec = { image: 'b', mounts: [{ type: 'bind' as const, source: '/data/in', target: '/in' }] };
    expect(policyProblems(spec, {}, 't')[0]?.message).toContain('not allowed');
    expect(policyProblems(spec, { bindPrefixes: ['/srv'] }, 't')[0]?.message).toContain('not under');
    expect(policyProblems(spec, { bindPrefixes: ['/data/'] }, 't')).toEqual([]);
  });

  it('has prefixes match whole path segments', () => {
    expect(isUnder('/data', '/data')).toBe(true);
    expect(isUnder('/data/x', '/data')).toBe(true);
    expect(isUnder('/database', '/data')).toBe(false);
    expect(isUnder('/anything', '/')).toBe(true);
  });
});

describe('unsupportedFieldProblems', () => {
  it('names every field a runtime without containers cannot honour, pre and post tasks too', () => {
    const shell: RuntimeFeatures = {
      ...ALL,
      images: false,
      cmd: false,
      entrypoint: false,
      mounts: [],
      networks: false,
      sidecars: false,
      registry: false,
      gpus: false,
      limits: false,
      user: false,
    };
    const problems = unsupportedFieldProblems(
      {
        run: 'echo',
        registry: { username: 'u', password: 'p' },
        networks: ['n'],
        mounts: [{ type: 'tmpfs', target: '/t' }],
        limits: { cpus: 1 },
        pre: [{ image: 'x', entrypoint: ['bash', '-c'] }],
      },
      shell,
      'tasks[1]',
    );
    expect(problems.map((p) => p.path)).toEqual([
      'tasks[1].registry',
      'tasks[1].mounts[0]',
      'tasks[1].networks',
      'tasks[1].limits',
      'tasks[1].pre[0].entrypoint',
    ]);
    expect(unsupportedFieldProblems({ image: 'b', gpus: 'all' }, ALL, 't')).toEqual([]);
  });
});
