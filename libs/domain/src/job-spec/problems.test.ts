import { describe, expect, it } from 'vitest';
import { parseJobSpec } from './parse.js';
import { oneTask, problemsOfBody, problemsOfText } from './test-helpers.js';

describe('parseJobSpec: bad input lists every problem with its path', () => {
  it('reports a missing image and an unknown field of the same task together', () => {
    expect(problemsOfBody({ tasks: [{ name: 'no image', foo: 1 }] })).toEqual([
      'tasks[0].foo: unknown field',
      'tasks[0].image: required',
    ]);
  });

  it('reports problems in different tasks and at the top level in one error', () => {
    const problems = problemsOfBody({
      name: 7,
      owner: 'me',
      tasks: [{ image: 'ok' }, { run: 'no image' }, { image: 'b', timeout: 'soon' }],
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        'name: must be a string',
        'owner: unknown field',
        'tasks[1].image: required',
        'tasks[2].timeout: "soon" is not a duration (e.g. 300ms, 45m, 1h)',
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('reports wrong types with the expected type', () => {
    const problems = problemsOfBody(
      oneTask({
        image: 5,
        run: ['echo'],
        env: { A: { nested: true } },
        volumes: '/tmp',
        pre: {},
        limits: { cpus: true, memory: 10 },
      }),
    );

    expect(problems).toEqual([
      'tasks[0].image: must be a string',
      'tasks[0].run: must be a string',
      'tasks[0].env.A: must be a string or a number or a boolean',
      'tasks[0].pre: must be an array',
      'tasks[0].volumes: must be an array',
      'tasks[0].limits.cpus: must be a string or a number',
      'tasks[0].limits.memory: must be a string',
    ]);
  });

  it('reports tasks that are not objects, and tasks that are not a list', () => {
    expect(problemsOfBody({ tasks: ['busybox', null] })).toEqual([
      'tasks[0]: must be an object',
      'tasks[1]: must be an object',
    ]);
    expect(problemsOfBody({ tasks: 'busybox' })).toEqual(['tasks: must be an array']);
  });

  it('requires at least one task', () => {
    expect(problemsOfBody({ name: 'empty', tasks: [] })).toEqual(['tasks: must have at least 1 item(s)']);
    expect(problemsOfBody({ name: 'none' })).toEqual(['tasks: required']);
  });

  it('requires a non-empty image and queue name', () => {
    expect(problemsOfBody({ tasks: [{ image: '' }, { image: 'b', queue: '' }] })).toEqual([
      'tasks[0].image: must not be empty',
      'tasks[1].queue: must not be empty',
    ]);
  });

  it.each([
    ['an array', [{ image: 'busybox' }]],
    ['a string', 'tasks: []'],
    ['a number', 42],
    ['null', null],
    ['nothing', undefined],
  ])('rejects a body that is %s', (_kind, body) => {
    expect(problemsOfBody(body)).toEqual(['body: must be an object with `tasks`']);
  });

  it.each([
    ['YAML', 'yaml', 'name: [unclosed\ntasks: []', /^body: malformed YAML: .+/],
    ['YAML', 'yaml', 'tasks:\n  - image: a\n   run: bad indent', /^body: malformed YAML: .+/],
    ['JSON', 'json', '{"tasks": [', /^body: malformed JSON: .+/],
    ['JSON', 'json', "{'tasks': []}", /^body: malformed JSON: .+/],
  ] as const)('reports malformed %s as one problem of the body', (_kind, format, text, expected) => {
    const problems = problemsOfText(text, format);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('rejects a YAML or JSON document that is not a mapping', () => {
    expect(problemsOfText('just some text', 'yaml')).toEqual(['body: must be an object with `tasks`']);
    expect(problemsOfText('', 'yaml')).toEqual(['body: must be an object with `tasks`']);
    expect(problemsOfText('[1, 2]', 'json')).toEqual(['body: must be an object with `tasks`']);
  });

  it('reports bad durations, sizes and CPU counts', () => {
    const problems = problemsOfBody({
      tasks: [
        { image: 'a', timeout: '10 minutes', limits: { cpus: 'two', memory: '10mb' } },
        { image: 'b', timeout: '0s', limits: { cpus: 0, memory: '0m' } },
        { image: 'c', timeout: '-5s', limits: { cpus: '-1', memory: '1.5g' } },
      ],
    });

    expect(problems).toEqual([
      'tasks[0].timeout: "10 minutes" is not a duration (e.g. 300ms, 45m, 1h)',
      'tasks[0].limits.cpus: "two" is not a positive number of CPUs (e.g. .5)',
      'tasks[0].limits.memory: "10mb" is not a size (a positive integer with b, k, m or g, e.g. 10m)',
      'tasks[1].timeout: must be more than 0',
      'tasks[1].limits.cpus: "0" is not a positive number of CPUs (e.g. .5)',
      'tasks[1].limits.memory: "0m" is not a size (a positive integer with b, k, m or g, e.g. 10m)',
      'tasks[2].timeout: "-5s" is not a duration (e.g. 300ms, 45m, 1h)',
      'tasks[2].limits.cpus: "-1" is not a positive number of CPUs (e.g. .5)',
      'tasks[2].limits.memory: "1.5g" is not a size (a positive integer with b, k, m or g, e.g. 10m)',
    ]);
  });

  it('reports retry settings out of range', () => {
    const problems = problemsOfBody({
      tasks: [
        { image: 'a', retry: { limit: 11, initialDelay: '6m', scalingFactor: 11 } },
        { image: 'b', retry: { limit: -1, initialDelay: '0s', scalingFactor: 0.5 } },
        { image: 'c', retry: { limit: 1.5, initialDelay: 'later' } },
        { image: 'd', retry: { initialDelay: '1s' } },
      ],
    });

    expect(problems).toEqual([
      'tasks[0].retry.limit: must be <= 10',
      'tasks[1].retry.limit: must be >= 0',
      'tasks[2].retry.limit: must be an integer',
      'tasks[3].retry.limit: required',
      'tasks[0].retry.initialDelay: must be more than 0 and at most 5m',
      'tasks[0].retry.scalingFactor: must be between 1 and 10',
      'tasks[1].retry.initialDelay: must be more than 0 and at most 5m',
      'tasks[1].retry.scalingFactor: must be between 1 and 10',
      'tasks[2].retry.initialDelay: "later" is not a duration (e.g. 5s)',
    ]);
  });

  it('accepts each retry setting at its limit while the retries wait at most 24h in all', () => {
    const spec = parseJobSpec({
      tasks: [
        { image: 'a', retry: { limit: 10, initialDelay: '1m', scalingFactor: 2 } }, // 1023m
        { image: 'b', retry: { limit: 1, initialDelay: '5m', scalingFactor: 10 } },
        { image: 'c', retry: { limit: 3, initialDelay: '5m', scalingFactor: 10 } }, // 5m + 50m + 500m
      ],
    });

    expect(spec.tasks.map((task) => task.retry)).toEqual([
      { limit: 10, initialDelay: '1m', scalingFactor: 2 },
      { limit: 1, initialDelay: '5m', scalingFactor: 10 },
      { limit: 3, initialDelay: '5m', scalingFactor: 10 },
    ]);
  });

  it('rejects retries that would wait more than 24h in all', () => {
    expect(
      problemsOfBody({
        tasks: [
          { image: 'a', retry: { limit: 4, initialDelay: '5m', scalingFactor: 10 } },
          { image: 'b', retry: { limit: 10, initialDelay: '5m', scalingFactor: 2 } },
        ],
      }),
    ).toEqual([
      'tasks[0].retry: its retries would wait 92h35m in all; at most 24h (lower limit, initialDelay or scalingFactor)',
      'tasks[1].retry: its retries would wait 85h15m in all; at most 24h (lower limit, initialDelay or scalingFactor)',
    ]);
  });

  it('rejects the queue names the engine uses and names with other characters', () => {
    const problems = problemsOfBody({
      tasks: [
        { image: 'a', queue: 'jobs' },
        { image: 'b', queue: 'x-foo' },
        { image: 'c', queue: 'heartbeat' },
        { image: 'd', queue: 'bad queue!' },
        { image: 'e', queue: 'transcoding' },
      ],
    });

    expect(problems).toEqual([
      'tasks[0].queue: "jobs" is reserved by the engine',
      'tasks[1].queue: "x-foo" is reserved by the engine',
      'tasks[2].queue: "heartbeat" is reserved by the engine',
      'tasks[3].queue: may contain only letters, digits, "_", "." and "-"',
    ]);
  });

  it('rejects environment variable names a shell cannot use', () => {
    expect(
      problemsOfBody(oneTask({ env: { GOOD_NAME: 'ok', 'BAD-KEY': 'x', '1ST': 'y', 'WITH SPACE': 'z' } })),
    ).toEqual([
      'tasks[0].env.BAD-KEY: is not a valid environment variable name',
      'tasks[0].env.1ST: is not a valid environment variable name',
      'tasks[0].env.WITH SPACE: is not a valid environment variable name',
    ]);
  });

  it('rejects volumes that are not absolute paths', () => {
    expect(problemsOfBody(oneTask({ volumes: ['/data1', 'relative/dir', '/tmp;rm -rf', ''] }))).toEqual([
      'tasks[0].volumes[3]: must not be empty',
      'tasks[0].volumes[1]: must be an absolute path of letters, digits and -/._=',
      'tasks[0].volumes[2]: must be an absolute path of letters, digits and -/._=',
    ]);
  });

  it('reports problems of pre and post tasks with their paths', () => {
    const problems = problemsOfBody(
      oneTask({
        pre: [{ image: 'ok' }, { name: 'no image', queue: 'q' }],
        post: [
          { image: 'p', timeout: 'x', env: { 'BAD KEY': 'v' } },
          { image: 'q', retry: { limit: 1 } },
        ],
      }),
    );

    expect(problems).toEqual([
      'tasks[0].pre[1].queue: unknown field',
      'tasks[0].post[0].env.BAD KEY: is not a valid environment variable name',
      'tasks[0].post[1].retry: unknown field',
      'tasks[0].pre[1].image: required',
      'tasks[0].post[0].timeout: "x" is not a duration (e.g. 300ms, 45m, 1h)',
    ]);
  });
});
