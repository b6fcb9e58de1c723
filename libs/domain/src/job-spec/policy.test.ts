import { describe, expect, it } from 'vitest';
import type { RuntimeFeatures } from '../ports/runtime.js';
import { parseJobSpec } from './parse.js';
import { oneTask, problemsUnder } from './test-helpers.js';

const SHELL: RuntimeFeatures = {
  images: false,
  cmd: false,
  entrypoint: false,
  files: true,
  workdir: false,
  mounts: [],
  networks: false,
  sidecars: false,
  registry: false,
  gpus: false,
  limits: false,
  user: false,
};

describe("parseJobSpec: the engine's policy and runtime", () => {
  const binds = oneTask({ mounts: [{ type: 'bind', source: '/srv/data', target: '/in' }] });

  it('refuses binds unless allowed under a prefix, nested tasks included', () => {
    const nested = {
      tasks: [
        {
          each: {
            list: '{{ [1] }}',
            task: {
              subjob: { tasks: [{ image: 'b', mounts: [{ type: 'bind', source: '/etc', target: '/x' }] }] },
            },
          },
        },
      ],
    };

    expect(problemsUnder(binds, { worker: {} })).toEqual([
      'tasks[0].mounts[0].source: bind mounts are not allowed on this engine (-mounts-bind-allowed)',
    ]);
    expect(problemsUnder(nested, { worker: { bindPrefixes: ['/srv'] } })).toEqual([
      'tasks[0].each.task.subjob.tasks[0].mounts[0].source: "/etc" is not under an allowed prefix (/srv)',
    ]);
    expect(parseJobSpec(binds, { worker: { bindPrefixes: ['/srv'] } }).tasks[0]?.mounts).toHaveLength(1);
  });

  it('refuses requests over the ceilings and under the CPU floor, in parallel tasks too', () => {
    const body = {
      tasks: [
        {
          parallel: {
            tasks: [
              { image: 'b', limits: { cpus: '0.000000001' } },
              {
                image: 'b',
                limits: { cpus: 8, memory: '2g' },
                timeout: '2h',
                pre: [{ image: 'b', timeout: '3h' }],
              },
            ],
          },
        },
      ],
    };
    const policy = { worker: { maxCpus: 4, maxMemoryBytes: 1024 ** 3, maxTimeoutMs: 3_600_000 } };

    expect(problemsUnder(body, policy)).toEqual([
      'tasks[0].parallel.tasks[0].limits.cpus: must be at least 0.01',
      "tasks[0].parallel.tasks[1].limits.cpus: 8 is over this engine's ceiling of 4 (-max-cpus)",
      "tasks[0].parallel.tasks[1].limits.memory: 2g is over this engine's ceiling of 1g (-max-memory)",
      "tasks[0].parallel.tasks[1].timeout: 2h is over this engine's ceiling of 1h (-max-timeout)",
      "tasks[0].parallel.tasks[1].pre[0].timeout: 3h is over this engine's ceiling of 1h (-max-timeout)",
    ]);
  });

  it('refuses fields the runtime cannot honour, and needs no image where it runs none', () => {
    const body = {
      tasks: [
        { run: 'echo hi' },
        {
          image: 'busybox',
          cmd: ['echo'],
          networks: ['n'],
          limits: { cpus: 1 },
          pre: [{ run: 'x', registry: { username: 'u', password: 'p' } }],
        },
      ],
    };

    expect(problemsUnder(body, { features: SHELL })).toEqual([
      "tasks[1].cmd: this engine's runtime cannot honour `cmd`",
      "tasks[1].networks: this engine's runtime cannot honour networks",
      "tasks[1].limits: this engine's runtime cannot honour limits",
      "tasks[1].pre[0].registry: this engine's runtime cannot honour a registry",
      'tasks[0].image: required',
      'tasks[1].pre[0].image: required',
    ]);
    expect(problemsUnder(body, { features: SHELL, imagesOptional: true })).toHaveLength(4);
    expect(
      parseJobSpec(
        { tasks: [{ run: 'echo hi', pre: [{ run: 'x' }] }] },
        { features: SHELL, imagesOptional: true },
      ),
    ).toEqual({
      tasks: [{ run: 'echo hi', pre: [{ run: 'x' }] }],
    });
  });

  it("holds the job's defaults to the ceilings too", () => {
    const body = { defaults: { limits: { cpus: 8 }, timeout: '2h' }, tasks: [{ image: 'b' }] };

    expect(problemsUnder(body, { worker: { maxCpus: 4, maxTimeoutMs: 3_600_000 } })).toEqual([
      "defaults.limits.cpus: 8 is over this engine's ceiling of 4 (-max-cpus)",
      "defaults.timeout: 2h is over this engine's ceiling of 1h (-max-timeout)",
    ]);
  });

  it('still requires an image of every sidecar where images are optional', () => {
    expect(
      problemsUnder({ tasks: [{ run: 'x', sidecars: [{ name: 's' }] }] }, { imagesOptional: true }),
    ).toEqual(['tasks[0].sidecars[0].image: required']);
  });
});
