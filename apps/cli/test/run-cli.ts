import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `tork` bin, as a user runs it; the test target builds apps/tork and apps/cli first. */
export const TORK_BIN = fileURLToPath(new URL('../../tork/bin/tork.js', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tork ARGS` against `endpoint` (TORK_ENDPOINT) with `stdin`; resolves when it exits. */
export function runCli(
  args: readonly string[],
  options: { endpoint: string; stdin?: string; cwd?: string; onStdout?: (text: string) => void },
): Promise<CliRun> {
  const child = spawn(process.execPath, [TORK_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, TORK_ENDPOINT: options.endpoint, TORK_API_KEY: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}
