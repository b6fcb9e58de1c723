import { readFileSync } from 'node:fs';
import { ApiClient, DEFAULT_ENDPOINT } from './api-client.js';
import { CliError, EXIT } from './exit-codes.js';
import { parseInvocation } from './program.js';
import { runInvocation } from './run.js';

/** The tork client: parses the command line, runs it, and exits with the status it decides. */
async function main(): Promise<number> {
  const stdout = process.stdout;
  const stderr = process.stderr;
  try {
    const invocation = await parseInvocation(process.argv.slice(2), {
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    });
    const apiKey = process.env['TORK_API_KEY'];
    const client = new ApiClient({
      endpoint: invocation.endpoint ?? nonEmpty(process.env['TORK_ENDPOINT']) ?? DEFAULT_ENDPOINT,
      ...(apiKey === undefined ? {} : { apiKey }),
    });
    return await runInvocation(invocation, {
      client,
      stdout,
      stderr,
      readStdin: () => readFileSync(0, 'utf8'),
    });
  } catch (error) {
    if (!(error instanceof CliError)) {
      // Not one of ours: an answer the client could not read, most likely; the API is not usable.
      stderr.write(`tork: ${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT.unavailable;
    }
    if (error.message !== '') stderr.write(`tork: ${error.message}\n`);
    for (const problem of error.problems) stderr.write(`  ${problem.path}: ${problem.message}\n`);
    return error.exitCode;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

process.exitCode = await main();
