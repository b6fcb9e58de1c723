import { describe, expect, it } from 'vitest';
import { CliError } from './exit-codes.js';
import { parseInvocation, type Invocation } from './program.js';

function parse(...argv: string[]): Promise<Invocation> {
  return parseInvocation(argv, { writeOut: () => undefined, writeErr: () => undefined });
}

async function exitOf(...argv: string[]): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  let out = '';
  try {
    await parseInvocation(argv, { writeOut: (text) => (out += text), writeErr: (text) => (err += text) });
  } catch (error) {
    if (error instanceof CliError) return { code: error.exitCode, err, out };
    throw error;
  }
  return { code: -1, err, out };
}

describe('the client command line', () => {
  it('parses submit with repeated --input, --wait, --endpoint and -o', async () => {
    expect(
      await parse(
        'submit',
        'job.yaml',
        '--input',
        'who=world',
        '--input',
        'x=a=b',
        '--wait',
        '--endpoint',
        'http://h:1',
        '-o',
        'json',
      ),
    ).toEqual({
      command: 'submit',
      file: 'job.yaml',
      inputs: [
        ['who', 'world'],
        ['x', 'a=b'],
      ],
      wait: true,
      watch: false,
      endpoint: 'http://h:1',
      output: 'json',
    });
    expect(await parse('submit', '-', '--watch')).toMatchObject({ file: '-', watch: true, output: 'table' });
  });

  it('parses list, get, logs -f, cancel, restart, nodes, queues, health', async () => {
    expect(await parse('list', '--state', 'FAILED', '-q', 'nightly', '--limit', '5')).toEqual({
      command: 'list',
      state: 'FAILED',
      query: 'nightly',
      limit: 5,
      output: 'table',
    });
    expect(await parse('get', 'abc', '-o', 'yaml')).toEqual({ command: 'get', jobId: 'abc', output: 'yaml' });
    expect(await parse('logs', 'abc', '-f')).toMatchObject({ command: 'logs', id: 'abc', follow: true });
    expect(await parse('cancel', 'abc')).toMatchObject({ command: 'cancel', jobId: 'abc' });
    expect(await parse('restart', 'abc')).toMatchObject({ command: 'restart', jobId: 'abc' });
    expect(await parse('nodes', '-o', 'json')).toMatchObject({ command: 'nodes', output: 'json' });
    expect(await parse('queues')).toMatchObject({ command: 'queues' });
    expect(await parse('health', '--endpoint', 'http://x')).toMatchObject({
      command: 'health',
      endpoint: 'http://x',
    });
  });

  it('parses the schedules subcommands and completion', async () => {
    expect(await parse('schedules', 'list')).toMatchObject({
      command: 'schedules',
      action: 'list',
      limit: 100,
    });
    expect(await parse('schedules', 'create', 'nightly.yaml')).toMatchObject({
      action: 'create',
      file: 'nightly.yaml',
    });
    for (const action of ['pause', 'resume', 'delete'])
      expect(await parse('schedules', action, 'id1')).toMatchObject({
        command: 'schedules',
        action,
        id: 'id1',
      });
    expect(await parse('completion', 'zsh')).toMatchObject({ command: 'completion', shell: 'zsh' });
  });

  it('exits 2 on a usage error, saying why', async () => {
    expect(await exitOf('submit')).toMatchObject({
      code: 2,
      err: expect.stringContaining("missing required argument 'file'") as unknown,
    });
    expect(await exitOf('submit', 'a.yaml', '--input', 'novalue')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--input "novalue" is not KEY=VALUE') as unknown,
    });
    expect((await exitOf('list', '-o', 'xml')).code).toBe(2);
    expect((await exitOf('list', '--limit', '0')).code).toBe(2);
    expect((await exitOf('frobnicate')).err).toContain("unknown command 'frobnicate'");
    expect((await exitOf('completion', 'fish')).code).toBe(2);
    expect((await exitOf('schedules')).code).toBe(2);
  });

  it('prints help for every command and exits 0', async () => {
    const help = await exitOf('--help');
    expect(help.code).toBe(0);
    for (const command of [
      'submit',
      'list',
      'get',
      'logs',
      'cancel',
      'restart',
      'nodes',
      'queues',
      'schedules',
      'health',
      'completion',
    ])
      expect(help.out).toContain(command);
    const submit = await exitOf('submit', '--help');
    expect(submit.code).toBe(0);
    expect(submit.out).toContain('--input <key=value>');
    expect((await exitOf('help', 'logs')).out).toContain('--follow');
  });
});
