import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithService, dockerAvailable, startTork, type TorkProcess } from '@tork/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TORK_BIN } from './run-cli.js';

const tmuxAvailable = spawnSync('tmux', ['-V']).status === 0;
const docker = await dockerAvailable();

const EACH = `name: squares
tasks:
  - name: prepare
    image: busybox
    run: echo preparing
  - name: square
    each:
      list: "{{ sequence(1, 5) }}"
      concurrency: 2
      task:
        name: square
        image: busybox
        env:
          N: "{{ item.value }}"
        run: echo "item $N"; sleep 1; echo done
  - name: together
    parallel:
      tasks:
        - name: left
          image: busybox
          run: echo left
        - name: right
          image: busybox
          run: echo right
`;

describeWithService(
  'Docker engine and tmux',
  docker && tmuxAvailable,
  'bash .ci/run starts Docker and installs tmux (Debian package tmux)',
)('tork submit --watch on a terminal (tmux)', () => {
  let tork: TorkProcess;
  let dir: string;
  const socket = `tork-cli-${process.pid}`;
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  /** Every screen of `session` captured until one satisfies `done` (or 90 s passed). */
  const captureUntil = async (session: string, done: (screen: string) => boolean): Promise<string[]> => {
    const screens: string[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const screen = tmux('capture-pane', '-p', '-t', session);
      screens.push(screen);
      if (done(screen)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return screens;
  };

  beforeAll(async () => {
    tork = await startTork(['-mode', 'standalone', '-log-level', 'warn']);
    dir = mkdtempSync(join(tmpdir(), 'tork-cli-tty-'));
    writeFileSync(join(dir, 'each.yaml'), EACH);
    writeFileSync(
      join(dir, 'long.yaml'),
      'name: long\ntasks:\n  - name: wait\n    image: busybox\n    run: sleep 60\n',
    );
  });

  afterAll(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    expect(await tork.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('redraws the task tree in place: states, durations, the each with done/total and a progress bar', async () => {
    const command = `cd ${dir} && TORK_ENDPOINT=${tork.baseUrl} ${process.execPath} ${TORK_BIN} submit each.yaml --watch; echo "exit=$?"; sleep 600`;
    tmux('new-session', '-d', '-x', '100', '-y', '40', '-s', 'watch', command);
    const screens = await captureUntil('watch', (screen) => screen.includes('exit='));
    const last = screens.at(-1) ?? '';
    expect(last, last).toContain('exit=0');
    const lines = last.split('\n').map((line) => line.trimEnd());
    // One frame, redrawn in place: the header once, not once per update.
    expect(lines.filter((line) => line.startsWith('Job squares'))).toHaveLength(1);
    expect(lines.find((line) => line.startsWith('Job squares'))).toMatch(/COMPLETED\s+\S+\s+\[#{10}\] 100%/);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}prepare\s+COMPLETED\s+\d+\.\ds$/),
        expect.stringMatching(/^ {2}square\s+COMPLETED\s+\S+\s+\[#{10}\] 4\/4$/),
        expect.stringMatching(/^ {4}square #0\s+COMPLETED/),
        expect.stringMatching(/^ {4}square #3\s+COMPLETED/),
        expect.stringMatching(/^ {2}together\s+COMPLETED\s+\S+\s+\[#{10}\] 2\/2$/),
        expect.stringMatching(/^ {4}left\s+COMPLETED/),
        expect.stringMatching(/^ {4}right\s+COMPLETED/),
      ]),
    );
    // While the each ran, the screen showed it part done, with items running (an item shows
    // SCHEDULED until its start is reported, 100 ms in).
    const during = screens.find(
      (screen) =>
        /square\s+RUNNING\s+\S+\s+\[[#.]{10}\] [0-3]\/4/.test(screen) && /square #\d\s+RUNNING/.test(screen),
    );
    expect(during, screens.join('\n----\n')).toBeDefined();
  });

  it('Ctrl-C stops watching, says how to cancel, exits 130, and leaves the job running', async () => {
    const command = `cd ${dir} && TORK_ENDPOINT=${tork.baseUrl} ${process.execPath} ${TORK_BIN} submit long.yaml --watch; echo "exit=$?"; sleep 600`;
    tmux('new-session', '-d', '-x', '120', '-y', '20', '-s', 'interrupt', command);
    const running = await captureUntil('interrupt', (screen) => /wait\s+RUNNING/.test(screen));
    expect(running.at(-1)).toMatch(/wait\s+RUNNING/);
    const id = /^([0-9a-f]{32})$/m.exec(running.at(-1) ?? '')?.[1] ?? '';
    tmux('send-keys', '-t', 'interrupt', 'C-c');
    const screen = (await captureUntil('interrupt', (text) => text.includes('exit='))).at(-1) ?? '';
    expect(screen).toContain('exit=130');
    expect(screen).toContain(`tork cancel ${id}`);
    const job = (await (await fetch(`${tork.baseUrl}/jobs/${id}`)).json()) as { state: string };
    expect(job.state).toBe('RUNNING');
    await fetch(`${tork.baseUrl}/jobs/${id}/cancel`, { method: 'PUT' });
  });
});
