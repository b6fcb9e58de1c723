import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { OutputCollector } from './output-collector.js';
import { isCode } from './shell-output.js';

export interface ProcessOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly uid?: number;
  readonly gid?: number;
  /** After SIGTERM, how long the process group has before SIGKILL. */
  readonly graceMs: number;
  readonly log: (msg: string) => void;
}

/** Output pipes held open by a process that left the group must not hold the run open. */
const DRAIN_MS = 2_000;

/**
 * Runs `argv` as the leader of a process group of its own, its output into `output`; resolves with
 * its exit code (128 + signal number when a signal ended it, as sh reports it). When the leader
 * exits, the rest of its group is killed, as a container's processes die with its PID 1. On abort
 * the group gets SIGTERM, then SIGKILL after the grace period, and the promise rejects with the
 * signal's reason once the leader is gone.
 */
export function runProcess(
  argv: readonly [string, ...string[]],
  options: ProcessOptions,
  output: OutputCollector,
  signal: AbortSignal,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const [file, ...args] = argv;
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: options.cwd,
        env: options.env,
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      timers.forEach(clearTimeout);
      outcome();
    };

    const killGroup = (name: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, name);
      } catch (error) {
        // ESRCH: the group is already gone, which is what the kill is for.
        if (!isCode(error, 'ESRCH'))
          options.log(`kill ${name} of group ${child.pid} failed: ${String(error)}`);
      }
    };
    const onAbort = (): void => {
      killGroup('SIGTERM');
      timers.push(
        setTimeout(() => {
          killGroup('SIGKILL');
        }, options.graceMs),
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      output.write('stdout', chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output.write('stderr', chunk);
    });
    child.once('exit', () => {
      killGroup('SIGKILL');
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, DRAIN_MS),
      );
    });
    child.once('error', (error) => {
      // The program could not be started: the task's fault, reported as sh reports it.
      const exitCode = isCode(error, 'ENOENT') ? 127 : isCode(error, 'EACCES') ? 126 : undefined;
      if (exitCode === undefined) {
        settle(() => {
          reject(error);
        });
        return;
      }
      output.write('stderr', Buffer.from(`${file}: ${error.message}\n`));
      settle(() => {
        if (signal.aborted) reject(abortReason(signal));
        else resolve(exitCode);
      });
    });
    child.once('close', (code: number | null, killedBy: NodeJS.Signals | null) => {
      settle(() => {
        if (signal.aborted) reject(abortReason(signal));
        else resolve(code ?? 128 + (killedBy === null ? 0 : constants.signals[killedBy]));
      });
    });
  });
}

/** The port promises the signal's own reason, whatever its type. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason as Error;
}
