import type { CommandContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';

/** GET /health: 0 when the API answers up, 1 when it answers down (503), 4 when it cannot be reached. */
export async function checkHealth(context: CommandContext): Promise<ExitCode> {
  let response: Response;
  try {
    response = await fetch(`${context.client.endpoint}/health`, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const reason =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CliError(`cannot reach the API at ${context.client.endpoint}: ${reason}`, EXIT.unavailable);
  }
  const text = await response.text();
  let body: { status?: unknown; checks?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not the API's health body: the status code decides.
  }
  const status = typeof body.status === 'string' ? body.status : `HTTP ${response.status}`;
  const checks = typeof body.checks === 'object' && body.checks !== null ? body.checks : {};
  const details = Object.entries(checks)
    .map(([name, state]) => `${name} ${String(state)}`)
    .join(', ');
  const line = `${status}${details === '' ? '' : ` (${details})`}`;
  if (response.ok && body.status === 'UP') {
    context.stdout.write(`${line}\n`);
    return EXIT.ok;
  }
  throw new CliError(`the API at ${context.client.endpoint} is down: ${line}`, EXIT.failed);
}
