import { randomUUID } from 'node:crypto';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '@tork/domain';
import type { ContainerSpec } from '@tork/domain';
import { waitUntil } from '@tork/testing';
import { parsePercent } from './shell-progress.js';
import { ShellRuntime } from './shell-runtime.js';

const NOBODY = 65534;
const runsAsRoot = process.getuid?.() === 0;

const spec = (fields: Partial<ContainerSpec>): ContainerSpec => ({
  name: `shell-${randomUUID().slice(0, 8)}`,
  env: {},
  mounts: [],
  ...fields,
});
const never = (): AbortSignal => new AbortController().signal;

/** Whether a process with this pid still exists (a zombie not yet reaped counts as gone: it runs nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return true;
}

describe('ShellRuntime', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'tork-shell-test-'));
    await chmod(scratch, 0o777);
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  describe.skipIf(!runsAsRoot)('as another uid (a root engine)', () => {
    const runtime = new ShellRuntime({ uid: NOBODY, gid: NOBODY });

    it('runs the task as the configured uid and gid, in a working directory it may write to', async () => {
      const { result } = await runtime.run(
        spec({
          script:
            'id -u; id -g; touch made-here && echo writable; echo 5 > "$TORK_PROGRESS" && echo progress',
        }),
        never(),
      );
      expect(result).toBe(`${NOBODY}\n${NOBODY}\nwritable\nprogress\n`);
    });

    it('does not read a $TORK_OUTPUT that links to a file only the engine may read', async () => {
      const secret = join(scratch, `secret-${randomUUID()}`);
      await writeFile(secret, 'top-secret', { mode: 0o600 });
      const outcome = await runtime.run(
        spec({ script: `ln -s ${secret} "$TORK_OUTPUT"; printf from-stdout` }),
        never(),
      );
      expect(outcome.result).toBe('from-stdout');
    });

    it('is not reported as running tasks as root', () => {
      expect(runtime.runsAsRoot()).toBe(false);
      expect(new ShellRuntime().runsAsRoot()).toBe(true);
    });
  });

  describe('with the default user', () => {
    const runtime = new ShellRuntime({ killGraceMs: 500, progressIntervalMs: 100 });
    const variable = `TORK_SHELL_TEST_${randomUUID().slice(0, 8).toUpperCase()}`;

    afterEach(() => {
      Reflect.deleteProperty(process.env, variable);
    });

    it("runs as the engine's own user", async () => {
      const { result } = await runtime.run(spec({ script: 'id -u' }), never());
      expect(result.trim()).toBe(String(process.getuid?.()));
    });

    it("passes none of the engine's environment but PATH", async () => {
      process.env[variable] = 'engine-secret';
      const { result } = await runtime.run(
        spec({
          env: { FROM_SPEC: 'yes' },
          script: `printf '%s|%s|%s' "\${${variable}-absent}" "$FROM_SPEC" "$PATH"`,
        }),
        never(),
      );
      expect(result).toBe(`absent|yes|${process.env['PATH'] ?? ''}`);
    });

    it('removes the working directory after the run', async () => {
      const { result } = await runtime.run(spec({ script: 'pwd; echo "$TORK_OUTPUT" >&2' }), never());
      const dir = result.trim();
      expect(dir).toMatch(/tork-shell-/);
      await expect(access(dir)).rejects.toThrow(/ENOENT/);
    });

    it('kills a background child the script leaves running when the script ends', async () => {
      const pidFile = join(scratch, `child-${randomUUID()}`);
      const started = Date.now();
      const outcome = await runtime.run(
        spec({ script: `sleep 30 & echo $! > ${pidFile}; echo parent-done` }),
        never(),
      );
      expect(outcome.result).toBe('parent-done\n');
      expect(Date.now() - started).toBeLessThan(10_000);
      const pid = Number(await readFile(pidFile, 'utf8'));
      await waitUntil('the background child to die', () => !alive(pid), { timeoutMs: 5_000 });
    });

    it('on abort, kills a background child and a script that ignores SIGTERM', async () => {
      const pidFile = join(scratch, `child-${randomUUID()}`);
      const controller = new AbortController();
      let started = false;
      const running = runtime.run(
        spec({
          script: `trap '' TERM; sleep 30 & echo $! > ${pidFile}; echo started; sleep 30`,
          onOutput: (chunk) => {
            if (chunk.text.includes('started')) started = true;
          },
        }),
        controller.signal,
      );
      running.catch(() => undefined);
      await waitUntil('the script to start', () => started);
      const reason = new Error('stop');
      const abortedAt = Date.now();
      controller.abort(reason);
      await expect(running).rejects.toBe(reason);
      // The script ignored SIGTERM: only the SIGKILL after the grace period ended it.
      expect(Date.now() - abortedAt).toBeGreaterThanOrEqual(400);
      const pid = Number(await readFile(pidFile, 'utf8'));
      await waitUntil('the background child to die', () => !alive(pid), { timeoutMs: 5_000 });
    });

    it('reports a command that does not exist as exit 127, naming it', async () => {
      const outcome = await runtime.run(spec({ cmd: ['no-such-command-here', 'arg'] }), never());
      expect(outcome.exitCode).toBe(127);
      expect(outcome.tail).toContain('no-such-command-here');
    });

    it('refuses every container-only field at once, naming each', async () => {
      const error: unknown = await runtime
        .run(
          spec({
            script: 'true',
            workdir: '/x',
            mounts: [{ type: 'tmpfs', target: '/t' }],
            registry: { username: 'u', password: 'p' },
            cpus: 1,
          }),
          never(),
        )
        .catch((reason: unknown) => reason);
      expect(isRuntimeError(error) && error.kind).toBe('rejected');
      expect(String(error)).toMatch(/workdir.*mounts \(tmpfs\).*registry.*limits/);
      expect(String(error)).not.toContain('p"');
    });

    it("a missing temporary directory fails the run and the health check as the engine's fault", async () => {
      const broken = new ShellRuntime({ tempDir: join(scratch, 'missing') });
      const error: unknown = await broken
        .run(spec({ script: 'true' }), never())
        .catch((reason: unknown) => reason);
      expect(isRuntimeError(error) && error.kind).toBe('runtime');
      await expect(broken.healthCheck()).rejects.toMatchObject({ kind: 'runtime' });
      await expect(runtime.healthCheck()).resolves.toBeUndefined();
    });

    it('refuses a file whose name leaves the working directory', async () => {
      const error: unknown = await runtime
        .run(spec({ script: 'true', files: { '../escape': 'x' } }), never())
        .catch((reason: unknown) => reason);
      expect(isRuntimeError(error) && error.kind).toBe('rejected');
    });

    it('reports each new progress value and ignores what is not a percentage', async () => {
      const seen: number[] = [];
      await runtime.run(
        spec({
          script:
            'echo abc > "$TORK_PROGRESS"; sleep 0.5; echo 30 > "$TORK_PROGRESS"; sleep 0.5; echo 150 > "$TORK_PROGRESS"; sleep 0.5; echo 90 > "$TORK_PROGRESS"; sleep 0.5',
          onProgress: (percent) => seen.push(percent),
        }),
        never(),
      );
      expect(seen).toEqual([30, 90]);
    });
  });
});

describe('parsePercent', () => {
  it.each([
    ['40\n', 40],
    [' 100 ', 100],
    ['0', 0],
    ['12.5', 12.5],
    ['101', undefined],
    ['-5', undefined],
    ['abc', undefined],
    ['', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parsePercent(text)).toBe(expected);
  });
});
