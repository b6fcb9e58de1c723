import { describe, expect, it } from 'vitest';
import { TorkError } from '../errors.js';
import type { TaskSpec } from '../job-spec/types.js';
import { resolveTaskSpec, taskScope } from './resolve-task.js';

const scope = taskScope(
  { id: 'j1', name: 'job' },
  { inputs: { who: 'world', dir: '/w' }, secrets: {}, tasks: {} },
);

describe('resolveTaskSpec: container fields', () => {
  it("evaluates cmd, the task's and its pre and post tasks', as Tork does", () => {
    const spec: TaskSpec = {
      image: 'busybox',
      cmd: ['echo', 'hello {{ inputs.who }}'],
      pre: [{ image: 'busybox', cmd: ['echo', '{{ job.name }}'] }],
      post: [{ cmd: ['echo', '{{ inputs.who }}'] }],
    };

    const resolved = resolveTaskSpec(spec, scope);

    expect(resolved.cmd).toEqual(['echo', 'hello world']);
    expect(resolved.pre?.[0]?.cmd).toEqual(['echo', 'job']);
    expect(resolved.post?.[0]).toEqual({ cmd: ['echo', 'world'] });
  });

  it('leaves files, entrypoint, workdir, mounts and registry as given', () => {
    const spec: TaskSpec = {
      image: 'busybox',
      run: 'cat page.html',
      files: { 'page.html': '<p>{{ inputs.who }}</p>' },
      workdir: '/work',
      mounts: [{ type: 'tmpfs', target: '/scratch' }],
      registry: { username: 'u', password: 'p{{x}}' },
    };

    expect(resolveTaskSpec(spec, scope)).toEqual(spec);
  });

  it('needs no image where none was given (a runtime without images), but refuses one evaluated empty', () => {
    expect(resolveTaskSpec({ run: 'echo' }, scope)).toEqual({ run: 'echo' });
    expect(() => resolveTaskSpec({ image: '{{ inputs.none ?? "" }}', cmd: ['{{ nope( }}'] }, scope)).toThrow(
      TorkError,
    );
  });
});
