import { describe, expect, it } from 'vitest';
import { formatProblem, TorkError } from './errors.js';
import { parseJobSpec, parseJobSpecText, type JobSpecFormat } from './job-spec.js';

/** The problems a rejected body is reported with, as `path: message`; fails the test when it is accepted. */
function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(TorkError);
    const torkError = error as TorkError;
    expect(torkError.code).toBe('INVALID_INPUT');
    const problems = torkError.problems.map(formatProblem);
    // The one error message names every problem too, for callers that only show the message.
    for (const problem of problems) expect(torkError.message).toContain(problem);
    return problems;
  }
  throw new Error('expected the job spec to be rejected');
}

const problemsOfText = (text: string, format: JobSpecFormat): string[] =>
  problemsOf(() => parseJobSpecText(text, format));
const problemsOfBody = (body: unknown): string[] => problemsOf(() => parseJobSpec(body));

/** A body with one task: a valid one changed by `fields`. */
const oneTask = (fields: Record<string, unknown>): unknown => ({ tasks: [{ image: 'busybox', ...fields }] });

describe('parseJobSpecText: the seed README examples', () => {
  it('accepts hello.yaml', () => {
    const text = [
      '# hello.yaml',
      '---',
      'name: hello job',
      'tasks:',
      '  - name: say hello',
      '    image: ubuntu:mantic',
      '    run: |',
      '      echo -n hello world',
      '',
    ].join('\n');

    expect(parseJobSpecText(text, 'yaml')).toEqual({
      name: 'hello job',
      tasks: [{ name: 'say hello', image: 'ubuntu:mantic', run: 'echo -n hello world\n' }],
    });
  });

  it('accepts the JSON example', () => {
    const text =
      '{"name":"sample job","tasks":[{\n  "name": "sample task",\n  "image": "ubuntu:mantic",\n  "run": "echo hello world"\n}]}';

    expect(parseJobSpecText(text, 'json')).toEqual({
      name: 'sample job',
      tasks: [{ name: 'sample task', image: 'ubuntu:mantic', run: 'echo hello world' }],
    });
  });

  it('accepts the YAML example as written, trailing comma in the image included', () => {
    const text =
      '\nname: sample job\ntasks:\n  - name: sample task\n    image: ubuntu:mantic,\n    run: echo hello world\n';

    expect(parseJobSpecText(text, 'yaml')).toEqual({
      name: 'sample job',
      tasks: [{ name: 'sample task', image: 'ubuntu:mantic,', run: 'echo hello world' }],
    });
  });

  it('accepts convert.yaml with its volume and pre and post tasks', () => {
    const text = `# convert.yaml
---
name: convert a video
tasks:
  - name: convert the first 5 seconds of a video
    image: jrottenberg/ffmpeg:3.4-alpine
    run: |
      ffmpeg -i /tmp/input.ogv -t 5 /tmp/output.mp4
    volumes:
      - /tmp
    pre:
      - name: download the remote file
        image: alpine:3.18.3
        run: |
          wget \\
          https://upload.wikimedia.org/wikipedia/commons/1/18/Big_Buck_Bunny_Trailer_1080p.ogv \\
          -O /tmp/input.ogv
    post:
      - name: upload the converted file
        image: alpine:3.18.3
        run: |
          wget \\
          --post-file=/tmp/output.mp4 \\
          https://devnull-as-a-service.com/dev/null
`;
    const spec = parseJobSpecText(text, 'yaml');

    expect(spec.name).toBe('convert a video');
    expect(spec.tasks).toHaveLength(1);
    const task = spec.tasks[0]!;
    expect(task.volumes).toEqual(['/tmp']);
    expect(task.pre).toEqual([
      {
        name: 'download the remote file',
        image: 'alpine:3.18.3',
        run: 'wget \\\nhttps://upload.wikimedia.org/wikipedia/commons/1/18/Big_Buck_Bunny_Trailer_1080p.ogv \\\n-O /tmp/input.ogv\n',
      },
    ]);
    expect(task.post?.map((step) => step.name)).toEqual(['upload the converted file']);
  });

  it('accepts the retry example, whose scalingFactor is left empty (null)', () => {
    const text = `tasks:
  - image: ubuntu:mantic
    retry:
      limit: 5 # will retry up to 5 times
      initialDelay: 5s # optional: default 1s (max: 5m)
      scalingFactor: # optional: default 2 (max: 10)
`;

    expect(parseJobSpecText(text, 'yaml').tasks[0]?.retry).toEqual({
      limit: 5,
      initialDelay: '5s',
      scalingFactor: null,
    });
  });

  it('accepts the queue, env and limits examples, with env values as strings', () => {
    const text = `name: examples
tasks:
  - name: transcode a video
    queue: transcoding
    image: jrottenberg/ffmpeg:3.4-alpine
    run: ffmpeg -i input.ogv output.mp4
  - name: print a message
    image: ubuntu:mantic
    env:
      INTRO: hello world
      OUTRO: bye world
      COUNT: 3
      VERBOSE: true
    run: |
      echo $INTRO
  - name: some task
    image: ubuntu:mantic
    run: sleep 10
    timeout: 1h30m
    limits:
      cpus: .5
      memory: 10m
`;
    const [transcode, print, limited] = parseJobSpecText(text, 'yaml').tasks;

    expect(transcode?.queue).toBe('transcoding');
    expect(print?.env).toEqual({ INTRO: 'hello world', OUTRO: 'bye world', COUNT: '3', VERBOSE: 'true' });
    expect(limited?.limits).toEqual({ cpus: 0.5, memory: '10m' });
    expect(limited?.timeout).toBe('1h30m');
  });
});

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

describe('parseJobSpec: what a valid spec becomes', () => {
  it('keeps every field it was given and adds none', () => {
    const body = {
      name: 'everything',
      tasks: [
        {
          name: 'main',
          image: 'busybox',
          run: 'echo hi',
          env: { A: 'a' },
          queue: 'default',
          pre: [{ name: 'before', image: 'busybox', run: 'true', env: { B: 'b' }, timeout: '1m' }],
          post: [{ image: 'busybox' }],
          volumes: ['/data'],
          retry: { limit: 2, initialDelay: '1s', scalingFactor: 2 },
          timeout: '300ms',
          limits: { cpus: '1.5', memory: '1g' },
        },
      ],
    };

    expect(parseJobSpec(structuredClone(body))).toEqual(body);
  });

  it('turns number and boolean env values into strings, in pre and post tasks as well', () => {
    const spec = parseJobSpec(
      oneTask({
        env: { N: 5, B: false },
        pre: [{ image: 'a', env: { P: 1.5 } }],
        post: [{ image: 'b', env: { Q: true } }],
      }),
    );
    const task = spec.tasks[0]!;

    expect(task.env).toEqual({ N: '5', B: 'false' });
    expect(task.pre?.[0]?.env).toEqual({ P: '1.5' });
    expect(task.post?.[0]?.env).toEqual({ Q: 'true' });
  });

  it('leaves the body it was given unchanged', () => {
    const body = oneTask({ env: { N: 5 } });
    const before = structuredClone(body);
    parseJobSpec(body);

    expect(body).toEqual(before);
  });
});

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

/** The review's alias bomb: a few KB of YAML whose aliases would expand to hundreds of MB. */
export function aliasBomb(preAliases: number, taskAliases: number): string {
  const env = Array.from({ length: 10 }, (_, i) => `K${i}: v${i}`).join(', ');
  const pre = [`&p {image: a, env: {${env}}}`, ...Array.from({ length: preAliases }, () => '*p')].join(', ');
  const tasks = [`&t {image: a, pre: [${pre}]}`, ...Array.from({ length: taskAliases }, () => '*t')].join(
    ', ',
  );
  return `tasks: [${tasks}]\n`;
}

describe('parseJobSpecText: hostile input', () => {
  it('refuses a 20 KB alias bomb at its first anchor, naming the body', () => {
    const text = aliasBomb(999, 3999);
    expect(text.length).toBeGreaterThan(19_000);

    expect(problemsOfText(text, 'yaml')).toEqual([
      'body: YAML anchors and aliases are not accepted (found &p before line 1): write the value out',
    ]);
  });

  it('refuses a 1 MiB alias bomb the same way', () => {
    const text = aliasBomb(999, (1024 * 1024) / 4);
    expect(text.length).toBeGreaterThan(1024 * 1024);

    expect(problemsOfText(text, 'yaml')).toHaveLength(1);
  });

  it('refuses any anchor, in block style and as a merge key too', () => {
    const anchored = 'tasks:\n  - &task\n    image: a\n  - *task\n';
    const merged = 'base: &base {image: a}\ntasks:\n  - <<: *base\n    run: x\n';

    expect(problemsOfText(anchored, 'yaml')).toEqual([
      'body: YAML anchors and aliases are not accepted (found &task before line 4): write the value out',
    ]);
    expect(problemsOfText(merged, 'yaml')[0]).toMatch(/^body: YAML anchors and aliases are not accepted/);
    expect(problemsOfText('tasks: [*nothing]', 'yaml')[0]).toMatch(
      /^body: malformed YAML: unidentified alias/,
    );
  });

  it('accepts & and * inside scalars', () => {
    const spec = parseJobSpecText('tasks:\n  - image: a\n    run: echo a &b *c && true\n', 'yaml');

    expect(spec.tasks[0]?.run).toBe('echo a &b *c && true');
  });

  it('answers a 1 MiB body of 75,000 tasks with one problem', () => {
    const text = JSON.stringify({ tasks: Array.from({ length: 75_000 }, () => ({ image: 'a' })) });
    expect(text.length).toBeGreaterThan(1_000_000);

    expect(problemsOfText(text, 'json')).toEqual(['tasks: must have at most 1000 items']);
  });

  it('answers 1 MiB of bad env keys in one task with the one limit it breaks', () => {
    const env = Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [`bad-${i}`, 'v']));
    const text = JSON.stringify({ tasks: [{ image: 'a', env }] });
    expect(text.length).toBeGreaterThan(1024 * 1024);

    expect(problemsOfText(text, 'json')).toEqual(['tasks[0].env: must have at most 256 keys']);
  });

  it('reports at most 50 problems of 1 MiB of bad env keys within the limits, then how many more', () => {
    const env = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`b-${i}`, 'v']));
    const text = JSON.stringify({ tasks: Array.from({ length: 300 }, () => ({ image: 'a', env })) });
    expect(text.length).toBeGreaterThan(800 * 1024);

    let error: TorkError | undefined;
    try {
      parseJobSpecText(text, 'json');
    } catch (thrown) {
      error = thrown as TorkError;
    }

    expect(error?.problems).toHaveLength(51);
    expect(error?.problems[0]).toEqual({
      path: 'tasks[0].env.b-0',
      message: 'is not a valid environment variable name',
    });
    expect(error?.problems[50]).toEqual({ path: 'body', message: `and ${300 * 256 - 50} more problems` });
    expect(error?.message.length).toBeLessThan(8 * 1024);
  });

  it('cuts long paths and messages short', () => {
    const key = `bad-${'k'.repeat(5000)}`;
    const [problem] = problemsOfBody(oneTask({ env: { [key]: 'v' } }));

    expect(problem).toMatch(/^tasks\[0\]\.env\.bad-k+…: is longer than 256 characters$/);
    expect(problem?.split(':')[0]).toHaveLength(256);
  });

  it('answers lists and maps past their limits with those limits alone', () => {
    const aux = (count: number): unknown[] => Array.from({ length: count }, () => ({ image: 'a', bad: 1 }));
    const problems = problemsOfBody({
      name: 7,
      tasks: [
        {
          pre: aux(17),
          post: aux(17),
          volumes: Array.from({ length: 17 }, () => 'relative'),
          env: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`bad-${i}`, 'v'])),
        },
        {
          image: 'a',
          pre: [
            { image: 'a', env: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`K${i}`, 'v'])) },
          ],
        },
      ],
    });

    expect(problems).toEqual([
      'tasks[0].env: must have at most 256 keys',
      'tasks[0].pre: must have at most 16 items',
      'tasks[0].post: must have at most 16 items',
      'tasks[0].volumes: must have at most 16 items',
      'tasks[1].pre[0].env: must have at most 256 keys',
    ]);
    expect(problemsOfBody({ tasks: Array.from({ length: 1001 }, () => ({})) })).toEqual([
      'tasks: must have at most 1000 items',
    ]);
  });

  it('holds every length limit', () => {
    const problems = problemsOfBody({
      name: 'n'.repeat(257),
      tasks: [
        {
          name: 'n'.repeat(257),
          image: 'i'.repeat(513),
          run: 'r'.repeat(256 * 1024 + 1),
          volumes: [`/${'v'.repeat(256)}`],
          env: { LONG: 'v'.repeat(64 * 1024 + 1) },
          queue: 'q'.repeat(101),
          timeout: `${'1'.repeat(31)}s1`,
          retry: { limit: 1, initialDelay: `${'1'.repeat(32)}s` },
          limits: { cpus: '1'.repeat(33), memory: '1'.repeat(33) },
        },
        { image: 'a', pre: [{ image: 'a', name: 'n'.repeat(257), env: { ['K'.repeat(257)]: 'v' } }] },
      ],
    });

    expect(problems).toEqual([
      'name: must be at most 256 characters long',
      'tasks[0].name: must be at most 256 characters long',
      'tasks[0].image: must be at most 512 characters long',
      'tasks[0].run: must be at most 262144 characters long',
      'tasks[0].env.LONG: must be at most 65536 characters long',
      'tasks[0].queue: must be at most 100 characters long',
      'tasks[0].volumes[0]: must be at most 256 characters long',
      'tasks[0].retry.initialDelay: must be at most 32 characters long',
      'tasks[0].timeout: must be at most 32 characters long',
      'tasks[0].limits.cpus: must be at most 32 characters long',
      'tasks[0].limits.memory: must be at most 32 characters long',
      'tasks[1].pre[0].name: must be at most 256 characters long',
      `${`tasks[1].pre[0].env.${'K'.repeat(257)}`.slice(0, 255)}…: is longer than 256 characters`,
    ]);
  });

  it('accepts a spec at every structural limit', () => {
    const spec = parseJobSpec({
      name: 'n'.repeat(256),
      tasks: [
        {
          image: 'i'.repeat(512),
          run: 'r'.repeat(256 * 1024),
          pre: Array.from({ length: 16 }, () => ({ image: 'a', timeout: '168h' })),
          post: Array.from({ length: 16 }, () => ({ image: 'a' })),
          volumes: Array.from({ length: 16 }, (_, i) => `/v${i}`),
          env: Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`K${i}`, 'v'.repeat(64 * 1024)])),
          timeout: '168h',
        },
        ...Array.from({ length: 999 }, () => ({ image: 'a' })),
      ],
    });

    expect(spec.tasks).toHaveLength(1000);
  });

  it('caps timeouts at 168h (7 days)', () => {
    expect(
      problemsOfBody({
        tasks: [
          { image: 'a', timeout: '600h' },
          { image: 'b', timeout: '168h1s', pre: [{ image: 'a', timeout: '9999999999h' }] },
          { image: 'c', timeout: '168h', post: [{ image: 'a', timeout: '169h' }] },
        ],
      }),
    ).toEqual([
      'tasks[0].timeout: must be at most 168h',
      'tasks[1].timeout: must be at most 168h',
      'tasks[1].pre[0].timeout: must be at most 168h',
      'tasks[2].post[0].timeout: must be at most 168h',
    ]);
  });

  it('refuses env values that look encrypted: only the engine writes those', () => {
    expect(problemsOfBody(oneTask({ env: { COPIED: 'enc:v1:k1:AAAA' } }))).toEqual([
      'tasks[0].env.COPIED: may not start with "enc:v1:"',
    ]);
  });

  it("reserves RabbitMQ's amq. prefix", () => {
    expect(problemsOfBody(oneTask({ queue: 'amq.x' }))).toEqual([
      'tasks[0].queue: "amq.x" is reserved by the engine',
    ]);
  });
});

describe('parseJobSpecText: a policy of allowed queues', () => {
  const policy = { allowedQueues: ['default', 'transcoding'] };

  it('accepts the allowed queues, and a task without one when default is allowed', () => {
    const text = 'tasks:\n  - image: a\n    queue: transcoding\n  - image: b\n';

    expect(parseJobSpecText(text, 'yaml', policy).tasks).toHaveLength(2);
  });

  it('rejects any other queue, and a task without one when default is not allowed', () => {
    expect(problemsOf(() => parseJobSpec(oneTask({ queue: 'zzz' }), policy))).toEqual([
      'tasks[0].queue: "zzz" is not one of the allowed queues (default, transcoding)',
    ]);
    expect(problemsOf(() => parseJobSpec(oneTask({}), { allowedQueues: ['gpu'] }))).toEqual([
      'tasks[0].queue: required: the default queue is not among the allowed queues (gpu)',
    ]);
  });
});
