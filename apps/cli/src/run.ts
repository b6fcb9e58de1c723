import { actOnJob, getJob, listJobs, listNodes, listQueues } from './commands/records.js';
import { checkHealth } from './commands/health.js';
import { printLogs } from './commands/logs.js';
import { changeSchedule, createSchedule, listSchedules } from './commands/schedules.js';
import { submitJob } from './commands/submit.js';
import { completionScript } from './completion.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { buildProgram, type Invocation } from './program.js';

/** Runs one parsed command; resolves with its exit status or throws a CliError. */
export async function runInvocation(invocation: Invocation, context: CommandContext): Promise<ExitCode> {
  switch (invocation.command) {
    case 'submit':
      return submitJob(context, invocation);
    case 'list':
      return listJobs(context, invocation);
    case 'get':
      return getJob(context, invocation.jobId, invocation.output);
    case 'logs':
      return printLogs(context, invocation.id, invocation.follow);
    case 'cancel':
    case 'restart':
      return actOnJob(context, invocation.jobId, invocation.command);
    case 'nodes':
      return listNodes(context, invocation.output);
    case 'queues':
      return listQueues(context, invocation.output);
    case 'health':
      return checkHealth(context);
    case 'schedules':
      switch (invocation.action) {
        case 'list':
          return listSchedules(context, invocation.limit, invocation.output);
        case 'create':
          return createSchedule(context, invocation.file, invocation.output);
        default:
          return changeSchedule(context, invocation.id, invocation.action);
      }
    case 'completion':
      context.stdout.write(
        completionScript(
          buildProgram(() => undefined, { writeOut: () => undefined, writeErr: () => undefined }),
          invocation.shell,
        ),
      );
      return EXIT.ok;
  }
}
