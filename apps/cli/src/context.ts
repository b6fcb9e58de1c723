import type { ApiClient } from './api-client.js';

/** What a command reads and writes besides the API: injected so tests can run commands in-process. */
export interface CommandContext {
  readonly client: ApiClient;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly readStdin: () => string;
}

export interface Output {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
}
