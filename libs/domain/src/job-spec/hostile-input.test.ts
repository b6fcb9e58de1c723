import { describe, expect, it } from 'vitest';
import type { TorkError } from '../errors.js';
import { parseJobSpec, parseJobSpecText } from './parse.js';
import { oneTask, problemsOfBody, problemsOfText } from './test-helpers.js';

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
