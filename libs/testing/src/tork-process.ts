import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built `tork` command (apps/tork/dist/main.js); its Nx test target builds it first. */
export const TORK_MAIN = fileURLToPath(new URL('../../../apps/tork/dist/main.js', import.meta.url));

export interface TorkProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM, then wait for the exit; the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface StartTorkOptions {
  readonly waitForHealth?: boolean;
  /** How long to wait for /health (default 60 s). */
  readonly timeoutMs?: number;
  /** The REST API's `-host` (default 127.0.0.1); the process is reached on 127.0.0.1 either way. */
  readonly host?: string;
  /** Environment variables added to this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** The port to listen on (default: a free one), e.g. to restart an engine where it ran. */
  readonly port?: number;
}

/**
 * Starts `tork` with the given flags (plus `-port` and `-host`) and `env` beside this process's
 * environment, and waits until `/health` answers 200 (or, with `waitForHealth: false`, only until it runs).
 */
export async function startTork(
  args: readonly string[],
  options: StartTorkOptions = {},
): Promise<TorkProcess> {
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const child = spawn(process.execPath, [TORK_MAIN, ...args, '-port', String(port), '-host', host], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const tork: TorkProcess = {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  if (options.waitForHealth === false) return tork;
  // Generous: it returns as soon as /health answers, and test files run side by side on a small machine.
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tork exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${tork.baseUrl}/health`);
      if (response.status === 200) return tork;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await tork.kill();
  throw new Error(`tork did not become healthy:\n${output}`);
}

/** Polls `GET /jobs/{id}` until the job reaches one of `states`; returns its body. */
export async function waitForJob(
  baseUrl: string,
  jobId: string,
  states: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED'],
  timeoutMs = 30_000,
  headers: Readonly<Record<string, string>> = {},
): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  let last: JobBody | undefined;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/jobs/${jobId}`, { headers });
    last = (await response.json()) as JobBody;
    if (states.includes(last.state)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not reach ${states.join('/')}; last seen: ${JSON.stringify(last)}`);
}

/** The job as `GET /jobs/{id}` returns it, as far as tests look. */
export interface JobBody {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly error?: string;
  readonly result?: string;
  readonly execution: readonly ExecutionBody[];
}

export interface ExecutionBody {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly position: number;
  readonly attempt: number;
  readonly result?: string;
  readonly error?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly failedAt?: string;
}
