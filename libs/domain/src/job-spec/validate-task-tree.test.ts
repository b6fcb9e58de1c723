import { describe, expect, it } from 'vitest';
import { parseJobSpec } from './parse.js';
import { problemsOfBody } from './test-helpers.js';

describe('parseJobSpec: the job language', () => {
  it('accepts parallel, each and subjob tasks with expressions, inputs, secrets, output and defaults', () => {
    const spec = parseJobSpec({
      name: 'workflow',
      inputs: { who: 'world' },
      secrets: { token: 's3cr3t' },
      output: '{{ tasks.last }}',
      defaults: { retry: { limit: 1 }, queue: 'default', priority: 3 },
      autoDelete: { after: '1h' },
      wait: { timeout: '1m' },
      tasks: [
        { name: 'hi {{ inputs.who }}', image: 'busybox', var: 'first', if: '{{ true }}' },
        { parallel: { tasks: [{ image: 'busybox' }, { image: 'busybox', env: { N: 1 } }] } },
        { each: { list: 'sequence(1, 3)', var: 'n', concurrency: 2, task: { image: 'busybox' } } },
        {
          var: 'last',
          subjob: { name: 'sub', inputs: { x: '{{ inputs.who }}' }, tasks: [{ image: 'busybox' }] },
        },
      ],
    });
    expect(spec.tasks[1]?.parallel?.tasks[1]?.env).toEqual({ N: '1' });
    expect(spec.tasks[2]?.each?.concurrency).toBe(2);
  });

  it('names every problem of a composite task at its path', () => {
    expect(
      problemsOfBody({
        tasks: [
          {
            name: 'both',
            parallel: { tasks: [{ image: 'a' }] },
            each: { list: '[1]', task: { image: 'a' } },
          },
          { parallel: { tasks: [{ run: 'no image' }] }, image: 'busybox', retry: { limit: 1 } },
          { each: { list: '{{ 1 + }}', task: { image: 'a' }, var: 'bad name' } },
          { image: 'busybox', env: { X: '{{ ) }}' }, var: 'x'.repeat(65) },
        ],
      }),
    ).toEqual([
      'tasks[3].var: must be at most 64 characters long',
      'tasks[0]: may have only one of parallel, each and subjob; has parallel, each',
      'tasks[1].image: not allowed on a parallel task',
      'tasks[1].retry: not allowed on a parallel task',
      'tasks[1].parallel.tasks[0].image: required',
      expect.stringMatching(/^tasks\[2\]\.each\.list: invalid expression/) as unknown as string,
      'tasks[2].each.var: must be a name of letters, digits and _',
      expect.stringMatching(/^tasks\[3\]\.env\.X: invalid expression/) as unknown as string,
    ]);
  });

  it("refuses Tork's job_defaults example naming `cpu` (the field is `cpus`)", () => {
    expect(
      problemsOfBody({ name: 'defaults', defaults: { limits: { cpu: 0.5 } }, tasks: [{ image: 'alpine' }] }),
    ).toEqual(['defaults.limits.cpu: unknown field']);
  });

  it('bounds how deep composite tasks nest', () => {
    let task: Record<string, unknown> = { image: 'busybox' };
    for (let depth = 0; depth < 9; depth++) task = { parallel: { tasks: [task] } };
    expect(problemsOfBody({ tasks: [task] }).join('\n')).toContain('nest more than 8 deep');
  });
});
