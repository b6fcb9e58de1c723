import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT } from './exit-codes.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import { parseInput } from './spec-file.js';

/** Where the API is and how the output looks, as every client command takes them. */
export interface CommonOptions {
  /** --endpoint; TORK_ENDPOINT and the default are applied where the client is built. */
  readonly endpoint?: string;
  readonly output: OutputFormat;
}

export const SCHEDULE_ACTIONS = ['list', 'create', 'pause', 'resume', 'delete'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];
export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** A parsed command line: what to do, with every option typed. */
export type Invocation = CommonOptions &
  (
    | {
        readonly command: 'submit';
        readonly file: string;
        readonly inputs: readonly (readonly [string, string])[];
        readonly wait: boolean;
        readonly watch: boolean;
      }
    | {
        readonly command: 'list';
        readonly state?: string;
        readonly query?: string;
        readonly limit: number;
      }
    | { readonly command: 'get' | 'cancel' | 'restart'; readonly jobId: string }
    | { readonly command: 'logs'; readonly id: string; readonly follow: boolean }
    | { readonly command: 'nodes' | 'queues' | 'health' }
    | { readonly command: 'schedules'; readonly action: 'list'; readonly limit: number }
    | { readonly command: 'schedules'; readonly action: 'create'; readonly file: string }
    | { readonly command: 'schedules'; readonly action: 'pause' | 'resume' | 'delete'; readonly id: string }
    | { readonly command: 'completion'; readonly shell: Shell }
  );

export interface ParseOutput {
  /** Help and errors: stdout for help asked for, stderr for usage errors. */
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/**
 * The client's command tree; each action hands its typed invocation to `run`. Built fresh per
 * parse (commander keeps parsed values on the command objects).
 */
export function buildProgram(run: (invocation: Invocation) => void, output: ParseOutput): Command {
  const program = new Command('tork')
    .description(
      'The tork client: submit, follow and manage jobs over the REST API.\n' +
        'Server modes: tork run standalone|coordinator|api|scheduler|worker [flags], tork migration, tork -help.',
    )
    .exitOverride()
    .showHelpAfterError('(tork help COMMAND for its options)')
    .configureOutput({
      writeOut: (text) => {
        output.writeOut(text);
      },
      writeErr: (text) => {
        output.writeErr(text);
      },
      outputError: (text, write) => {
        write(text.replace(/^error: /, 'tork: '));
      },
    });
  const client = (name: string, description: string, records = true): Command =>
    clientCommand(program, name, description, records);

  client('submit', 'submit a job (YAML or JSON); prints its id first')
    .argument('<file>', 'the job spec, or - for standard input')
    .option(
      '--input <key=value>',
      "set one of the job's inputs, over the file's (repeatable)",
      collectInput,
      [],
    )
    .option('--wait', 'follow the job and exit with its outcome (0 completed, 1 failed, 3 cancelled)', false)
    .option(
      '--watch',
      'show the job live (a tree on a terminal, lines otherwise) and exit with its outcome',
      false,
    )
    .action(
      (file: string, options: ClientFlags & { input: [string, string][]; wait: boolean; watch: boolean }) => {
        run({
          command: 'submit',
          file,
          inputs: options.input,
          wait: options.wait,
          watch: options.watch,
          ...commonOptions(options),
        });
      },
    );
  client('list', 'list jobs, newest first')
    .option('--state <states>', 'only jobs in these states, e.g. FAILED,CANCELLED')
    .option('-q, --query <text>', 'only jobs whose name or description hold these words; tag:NAME for a tag')
    .option('--limit <n>', 'at most this many jobs', positiveInt, 10)
    .action((options: ClientFlags & { state?: string; query?: string; limit: number }) => {
      run({
        command: 'list',
        limit: options.limit,
        ...(options.state === undefined ? {} : { state: options.state }),
        ...(options.query === undefined ? {} : { query: options.query }),
        ...commonOptions(options),
      });
    });
  client('get', 'show a job and its tasks')
    .argument('<job-id>')
    .action((jobId: string, options: ClientFlags) => {
      run({ command: 'get', jobId, ...commonOptions(options) });
    });
  client('logs', "print a job's log (or a task's, for a task id)", false)
    .argument('<id>', 'a job id, else a task id')
    .option('-f, --follow', 'keep printing lines as they are written, until the job or task ends', false)
    .action((id: string, options: ClientFlags & { follow: boolean }) => {
      run({ command: 'logs', id, follow: options.follow, ...commonOptions(options) });
    });
  for (const [name, description] of [
    ['cancel', 'cancel a job: its running task stops, no later task starts'],
    ['restart', 'restart a failed or cancelled job where it stopped'],
  ] as const) {
    client(name, description, false)
      .argument('<job-id>')
      .action((jobId: string, options: ClientFlags) => {
        run({ command: name, jobId, ...commonOptions(options) });
      });
  }
  client('nodes', 'list the workers').action((options: ClientFlags) => {
    run({ command: 'nodes', ...commonOptions(options) });
  });
  client('queues', 'list the queues with their sizes').action((options: ClientFlags) => {
    run({ command: 'queues', ...commonOptions(options) });
  });
  client(
    'health',
    'check the API: exit 0 when it is up, 1 when it answers down, 4 when it cannot be reached',
    false,
  ).action((options: ClientFlags) => {
    run({ command: 'health', ...commonOptions(options) });
  });
  addSchedules(program, run);
  program
    .command('completion')
    .description('print a completion script: eval "$(tork completion bash)", or zsh')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(SHELLS))
    .action((shell: Shell) => {
      run({ command: 'completion', shell, output: 'table' });
    });
  return program;
}

function addSchedules(program: Command, run: (invocation: Invocation) => void): void {
  const schedules = program.command('schedules').description('manage scheduled jobs (cron)');
  const sub = (name: string, description: string, records: boolean): Command =>
    clientCommand(schedules, name, description, records);
  sub('list', 'list scheduled jobs', true)
    .option('--limit <n>', 'at most this many', positiveInt, 100)
    .action((options: ClientFlags & { limit: number }) => {
      run({ command: 'schedules', action: 'list', limit: options.limit, ...commonOptions(options) });
    });
  sub('create', 'schedule a job: a job spec with schedule: {cron, timezone?}', true)
    .argument('<file>', 'the spec, or - for standard input')
    .action((file: string, options: ClientFlags) => {
      run({ command: 'schedules', action: 'create', file, ...commonOptions(options) });
    });
  for (const [action, description] of [
    ['pause', 'stop starting jobs on schedule until resumed'],
    ['resume', 'start jobs on schedule again'],
    ['delete', 'delete a scheduled job (jobs it started stay)'],
  ] as const) {
    sub(action, description, false)
      .argument('<id>')
      .action((id: string, options: ClientFlags) => {
        run({ command: 'schedules', action, id, ...commonOptions(options) });
      });
  }
}

/** The flags every client command takes: --endpoint, and -o/--output where it prints records. */
interface ClientFlags {
  readonly endpoint?: string;
  readonly output?: OutputFormat;
}

/** A command under `parent` that speaks to the API: --endpoint, and -o/--output when it prints records. */
function clientCommand(parent: Command, name: string, description: string, records: boolean): Command {
  const command = parent
    .command(name)
    .description(description)
    .option('--endpoint <url>', 'the API (default: $TORK_ENDPOINT, else http://localhost:3000)');
  if (records)
    command.addOption(
      new Option('-o, --output <format>', 'how records are printed').choices(OUTPUT_FORMATS).default('table'),
    );
  return command;
}

/** The parsed flags as an invocation carries them: --output defaults to a table where a command has none. */
function commonOptions(flags: ClientFlags): CommonOptions {
  return {
    ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }),
    output: flags.output ?? 'table',
  };
}

function collectInput(text: string, previous: [string, string][]): [string, string][] {
  try {
    return [...previous, parseInput(text)];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function positiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('a positive whole number');
  return Number(text);
}

/**
 * Parses a command line (without node and the script) into an invocation, or throws: a
 * CliError with exit 0 for help and version, 2 for a usage error (commander has printed why).
 */
export async function parseInvocation(argv: readonly string[], output: ParseOutput): Promise<Invocation> {
  let parsed: Invocation | undefined;
  const program = buildProgram((invocation) => {
    parsed = invocation;
  }, output);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help asked for (--help, tork help) exits 0; help shown for a missing command is a usage error.
    throw new CliError('', error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  if (parsed === undefined) throw new CliError('', EXIT.usage);
  return parsed;
}
