import { ENDED_JOB_STATES, type Job } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT, exitCodeOfJobState, type ExitCode } from '../exit-codes.js';
import { followJob, type FollowSink } from '../job-follower.js';
import { LiveView } from '../live-view.js';
import { formatBody, type OutputFormat } from '../output.js';
import { PlainView } from '../plain-view.js';
import { Screen } from '../screen.js';
import { readSpec, specBody } from '../spec-file.js';

export interface SubmitOptions {
  readonly file: string;
  readonly inputs: readonly (readonly [string, string])[];
  readonly wait: boolean;
  readonly watch: boolean;
  readonly output: OutputFormat;
}

/** POST /jobs; prints the id (or, for json and yaml, the body); with --wait or --watch follows it to its end. */
export async function submitJob(context: CommandContext, options: SubmitOptions): Promise<ExitCode> {
  const body = specBody(options.file, readSpec(options.file, context.readStdin), options.inputs);
  const job = await context.client.request<Job>('POST', '/jobs', body);
  context.stdout.write(options.output === 'table' ? `${job.id}\n` : oneDocument(job, options.output));
  if (!options.wait && !options.watch) return EXIT.ok;
  const ended = await watchJob(context, job, options.watch);
  if (options.output !== 'table') context.stdout.write(oneDocument(ended, options.output));
  else if (ended.state === 'COMPLETED' && ended.result !== undefined)
    context.stdout.write(`${ended.result}\n`);
  const code = exitCodeOfJobState(ended.state);
  if (code !== EXIT.ok)
    throw new CliError(
      `job ${ended.id} ${ended.state}${ended.error === undefined ? '' : `: ${ended.error}`}`,
      code,
    );
  return code;
}

/** A document on one line for json, so that the submitted and the ended job read as two lines. */
function oneDocument(body: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(body)}\n` : `---\n${formatBody(body, 'yaml')}`;
}

/**
 * Follows a job to its end, showing it when `show` (live on a terminal, as lines otherwise).
 * Ctrl-C stops following, says how to cancel the job, and exits 130: the job goes on.
 */
export async function watchJob(context: CommandContext, job: Job, show: boolean): Promise<Job> {
  const abort = new AbortController();
  const terminal = context.stdout.isTTY === true;
  let view: (FollowSink & { close(): void }) | undefined;
  if (show)
    view = terminal
      ? new LiveView(new Screen(context.stdout), job, true)
      : new PlainView((text) => context.stdout.write(text));
  const interrupted = (): void => {
    abort.abort();
    view?.close();
    context.stderr.write(`\ntork: stopped watching; the job goes on. To cancel it: tork cancel ${job.id}\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', interrupted);
  try {
    if (ENDED_JOB_STATES.includes(job.state) && !show) return job;
    const sink: FollowSink = view ?? {
      snapshot: () => undefined,
      state: () => undefined,
      log: () => undefined,
    };
    return await followJob(context.client, job.id, sink, {
      signal: abort.signal,
      live: show && terminal,
      logs: show,
    });
  } finally {
    process.removeListener('SIGINT', interrupted);
    view?.close();
  }
}
