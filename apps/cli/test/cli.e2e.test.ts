import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithService, dockerAvailable, freePort, startTork, type TorkProcess } from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const docker = await dockerAvailable();

const HELLO = `name: hello job
tasks:
  - name: say hello
    image: busybox
    run: echo -n hello world
`;
const FAILING = `name: failing job
tasks:
  - name: fails
    image: busybox
    run: echo about to fail; exit 3
`;
const TWO_LINES = `name: two lines
tasks:
  - name: talk
    image: busybox
    run: echo first line; sleep 1; echo second line
`;
const EVERY_MINUTE = `name: every minute
schedule:
  cron: "0 * * * * *"
  timezone: Europe/Paris
tasks:
  - name: tick
    image: busybox
    run: echo tick
`;
const GREETING = `name: greeting
inputs:
  who: nobody
output: "{{ inputs.who }}"
tasks:
  - name: noop
    image: busybox
    run: "true"
`;

describeWithService(
  'Docker engine',
  docker,
  'bash .ci/run starts one',
)('the tork client against a standalone engine', () => {
  let tork: TorkProcess;
  let dir: string;
  let endpoint: string;
  const cli = (args: string[], stdin?: string): ReturnType<typeof runCli> =>
    runCli(args, { endpoint, cwd: dir, ...(stdin === undefined ? {} : { stdin }) });

  beforeAll(async () => {
    // Tork's spelling of the server command, through the same parser as -mode.
    tork = await startTork(['run', 'standalone', '-log-level', 'warn']);
    endpoint = tork.baseUrl;
    dir = mkdtempSync(join(tmpdir(), 'tork-cli-'));
    for (const [name, text] of Object.entries({
      'hello.yaml': HELLO,
      'fail.yaml': FAILING,
      'two.yaml': TWO_LINES,
      'greet.yaml': GREETING,
      'every-minute.yaml': EVERY_MINUTE,
    }))
      writeFileSync(join(dir, name), text);
  });

  afterAll(async () => {
    expect(await tork.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('submit --wait: prints the job id first, then the result, and exits 0', async () => {
    const run = await cli(['submit', 'hello.yaml', '--wait']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [id, result] = run.stdout.trimEnd().split('\n');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(result).toBe('hello world');
  });

  it('submit - --input: reads standard input and sets the input over the file', async () => {
    const run = await cli(['submit', '-', '--input', 'who=world', '--wait'], GREETING);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')[1]).toBe('world');
  });

  it('a failing job exits 1, saying why on stderr', async () => {
    const run = await cli(['submit', 'fail.yaml', '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    expect(run.stderr).toMatch(/^tork: job [0-9a-f]{32} FAILED: exit code 3/);
  });

  it('an invalid job spec: every problem printed with its path, exit 2', async () => {
    const run = await cli(
      ['submit', '-'],
      'name: bad\ntasks:\n  - name: no image\n  - image: busybox\n    timeout: forever\n',
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual(
      expect.arrayContaining([
        'tork: HTTP 400: invalid job',
        '  tasks[0].image: required',
        expect.stringMatching(/^ {2}tasks\[1\]\.timeout: /),
      ]),
    );
  });

  it('usage errors, unreadable files and malformed inputs exit 2; an unknown job 2; no API 4', async () => {
    expect((await cli(['submit'])).code).toBe(2);
    expect(await cli(['submit', 'missing.yaml'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot read missing.yaml') as unknown,
    });
    expect((await cli(['submit', 'hello.yaml', '--input', 'novalue'])).code).toBe(2);
    expect(await cli(['get', '0123456789abcdef0123456789abcdef'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('HTTP 404') as unknown,
    });
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const down = await runCli(['list'], { endpoint: nowhere });
    expect(down.code).toBe(4);
    expect(down.stderr).toContain(`tork: cannot reach the API at ${nowhere}`);
  });

  it('--watch piped: state lines and log lines in order, no escape codes', async () => {
    const run = await cli(['submit', 'two.yaml', '--watch']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\x1b');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^[0-9a-f]{32}$/);
    const events = lines.slice(1).map((line) => line.replace(/^\d\d:\d\d:\d\d /, ''));
    const order = [
      'task talk RUNNING',
      'talk | first line',
      'talk | second line',
      'task talk COMPLETED',
      'job COMPLETED',
    ];
    const positions = order.map((line) => events.indexOf(line));
    expect(
      positions.every((position) => position >= 0),
      events.join('\n'),
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('list -o json is the API body; get, logs, cancel and restart work on a job', async () => {
    const submitted = await cli(['submit', 'hello.yaml', '--wait']);
    const id = submitted.stdout.split('\n')[0] ?? '';
    const list = await cli(['list', '-o', 'json', '--limit', '50']);
    expect(list.code).toBe(0);
    const body = JSON.parse(list.stdout) as { items: { id: string; state: string }[] };
    expect(body.items).toContainEqual(expect.objectContaining({ id, state: 'COMPLETED' }));
    const table = await cli(['list', '--state', 'COMPLETED', '-q', 'hello']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATE\s+PROGRESS\s+CREATED$/);
    expect(table.stdout).toContain(id);
    const get = await cli(['get', id]);
    expect(get.stdout).toMatch(/say hello\s+COMPLETED/);
    expect(get.stdout).toContain('Result: hello world');
    expect((await cli(['logs', id])).stdout).toBe('hello world');
    expect(await cli(['cancel', id])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('HTTP 400') as unknown,
    });
    const failed = (await cli(['submit', 'fail.yaml', '--wait'])).stdout.split('\n')[0] ?? '';
    expect(await cli(['restart', failed])).toMatchObject({ code: 0, stdout: `job ${failed} restarted\n` });
    const nodes = await cli(['nodes', '-o', 'json']);
    expect(JSON.parse(nodes.stdout)).toHaveLength(1);
    expect((await cli(['queues'])).stdout).toMatch(/^NAME\s+SIZE\s+SUBSCRIBERS\s+UNACKED\n(.*\n)*default\s/);
    expect(await cli(['health'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^UP/) as unknown });
  });

  it('logs -f prints lines while the task runs, and ends with the job', async () => {
    const submitted = await cli(
      ['submit', '-'],
      'name: slow\ntasks:\n  - name: slow\n    image: busybox\n    run: echo first line; sleep 4; echo second line\n',
    );
    const id = submitted.stdout.trim();
    // When the first line is printed, the job is still running: the line came live, not at the end.
    let stateAtFirstLine: Promise<string> | undefined;
    const followed = await runCli(['logs', id, '-f'], {
      endpoint,
      onStdout: (text) => {
        if (stateAtFirstLine === undefined && text.includes('first line'))
          stateAtFirstLine = fetch(`${endpoint}/jobs/${id}`)
            .then((response) => response.json() as Promise<{ state: string }>)
            .then((job) => job.state);
      },
    });
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('first line\nsecond line\n');
    expect(await stateAtFirstLine).toBe('RUNNING');
  });

  it('schedules: create from a file, list, pause, resume and delete; a bad cron exits 2 naming schedule.cron', async () => {
    const created = await cli(['schedules', 'create', 'every-minute.yaml']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const stateOf = async (): Promise<string | undefined> => {
      const list = await cli(['schedules', 'list', '-o', 'json']);
      expect(list.code).toBe(0);
      const body = JSON.parse(list.stdout) as { items: { id: string; state: string }[] };
      return body.items.find((item) => item.id === id)?.state;
    };

    const table = await cli(['schedules', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATE\s+CRON\s+TIMEZONE\s+NEXT RUN$/);
    expect(table.stdout).toMatch(
      new RegExp(
        `${id}\\s+every minute\\s+ACTIVE\\s+0 \\* \\* \\* \\* \\*\\s+Europe/Paris\\s+\\S+:00\\.000Z`,
      ),
    );
    expect(await stateOf()).toBe('ACTIVE');

    expect(await cli(['schedules', 'pause', id])).toMatchObject({
      code: 0,
      stdout: `scheduled job ${id} paused\n`,
    });
    expect(await stateOf()).toBe('PAUSED');
    expect(await cli(['schedules', 'resume', id])).toMatchObject({
      code: 0,
      stdout: `scheduled job ${id} resumed\n`,
    });
    expect(await stateOf()).toBe('ACTIVE');
    expect(await cli(['schedules', 'delete', id])).toMatchObject({
      code: 0,
      stdout: `scheduled job ${id} deleted\n`,
    });
    expect(await stateOf()).toBeUndefined();
    expect(await cli(['schedules', 'pause', id])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('HTTP 404') as unknown,
    });

    const bad = await cli(['schedules', 'create', '-'], EVERY_MINUTE.replace('0 * * * * *', '61 * * * *'));
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ {2}schedule\.cron: .*minute/)]),
    );
  });

  it('health exits 4 when the endpoint cannot be reached', async () => {
    const run = await runCli(['health'], { endpoint: `http://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(4);
  });
});
