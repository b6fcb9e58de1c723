import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  mkdirSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tork/testing';
import { afterEach, describe, expect, it } from 'vitest';

const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url));
const BUILD = join(WORKSPACE, 'tools/build.mjs');
const scripts = (
  JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  output: string;
}

const running: Started[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map(stop));
});

/**
 * The environment of a start as a user's shell gives it. Under `nx run tork:test`, Nx marks this
 * process as part of its run (`NX_INVOCATION_ROOT_PID`, `NX_TASK_*`): two starts that both build
 * `web` would then be taken for a task invoking itself, and the second refused ("Recursive task
 * invocation detected"), which is Nx guarding its own run, not the engine's start racing.
 */
function ownInvocation(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => name !== 'NX_INVOCATION_ROOT_PID' && !name.startsWith('NX_TASK_')),
  );
}

/** What `npm start -- ARGS` runs: the prestart script, then the start script (without npm around it). */
function npmStart(args: readonly string[], port: number, env: Record<string, string>): Started {
  const prestart = scripts['prestart'] ?? '';
  const start = scripts['start'] ?? '';
  const child = spawn('sh', ['-c', `${prestart} && exec ${start} ${args.join(' ')} -port ${port}`], {
    cwd: WORKSPACE,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...ownInvocation(process.env), ...env },
  });
  const started: Started = { child, port, output: '' };
  child.stdout.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  running.push(started);
  return started;
}

async function healthy(started: Started, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null)
      throw new Error(`exited with ${started.child.exitCode}:\n${started.output}`);
    const ok = await fetch(`http://127.0.0.1:${started.port}/health`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not healthy after ${timeoutMs} ms:\n${started.output}`);
}

async function stop(started: Started): Promise<number | null> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
  return child.exitCode;
}

describe('npm start', () => {
  it('four processes started at once, ten times, all become healthy while two of them rebuild', async () => {
    for (let round = 0; round < 10; round++) {
      const ports = await Promise.all([0, 1, 2, 3].map(() => freePort()));
      const processes = ports.map((port, index) =>
        npmStart(['-mode', 'standalone', '-runtime', 'noop', '-log-level', 'warn'], port, {
          // Two of each four rebuild whatever the stamp says: the race of item 11, every round.
          TORK_BUILD_FORCE: index % 2 === 0 ? '1' : '0',
        }),
      );
      await Promise.all(processes.map((started) => healthy(started, 120_000)));
      const codes = await Promise.all(running.splice(0).map(stop));
      for (const started of processes) expect(started.output).not.toContain('ENOENT');
      expect(codes, processes.map((started) => started.output).join('\n---\n')).toEqual([0, 0, 0, 0]);
    }
  }, 1_500_000);
});

describe('tools/build.mjs on an app', () => {
  let project: string | undefined;

  afterEach(() => {
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  function app(source: string): string {
    project ??= mkdtempSync(join(tmpdir(), 'tork-build-'));
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'src/main.ts'), source);
    return project;
  }

  const build = (dir: string): void => void execFileSync(process.execPath, [BUILD, dir], { stdio: 'pipe' });
  const run = (dir: string): string => execFileSync(process.execPath, [join(dir, 'dist/main.js')]).toString();

  it('skips the build when no input changed, and leaves the previous build whole when one did', () => {
    const dir = app("console.log('first');\n");
    build(dir);
    const first = readlinkSync(join(dir, 'dist'));
    build(dir);
    expect(readlinkSync(join(dir, 'dist'))).toBe(first);

    app("console.log('second');\n");
    build(dir);
    const second = readlinkSync(join(dir, 'dist'));
    expect(second).not.toBe(first);
    expect(run(dir)).toBe('second\n');
    // A process started from the first build still finds every file of it.
    expect(existsSync(join(dir, first, 'main.js'))).toBe(true);
    expect(execFileSync(process.execPath, [join(dir, first, 'main.js')]).toString()).toBe('first\n');
  });
});
