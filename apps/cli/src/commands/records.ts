import type { Job, Page } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { renderJobView } from '../job-view.js';
import { formatBody, formatTable, type OutputFormat } from '../output.js';

/** Prints records: the API's body as it is for json and yaml, else the table `table` makes. */
export function printRecords(
  context: CommandContext,
  format: OutputFormat,
  body: unknown,
  table: () => string,
): ExitCode {
  context.stdout.write(format === 'table' ? table() : formatBody(body, format));
  return EXIT.ok;
}

interface JobSummary {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly progress?: number;
  readonly createdAt?: string;
}

const PAGE_SIZE = 100;

export async function listJobs(
  context: CommandContext,
  options: { state?: string; query?: string; limit: number; output: OutputFormat },
): Promise<ExitCode> {
  const items: JobSummary[] = [];
  let last: Page<JobSummary> | undefined;
  for (let page = 1; items.length < options.limit; page++) {
    const query = new URLSearchParams({
      page: String(page),
      size: String(Math.min(PAGE_SIZE, options.limit)),
    });
    if (options.state !== undefined) query.set('state', options.state);
    if (options.query !== undefined) query.set('q', options.query);
    last = await context.client.get<Page<JobSummary>>(`/jobs?${query.toString()}`);
    items.push(...last.items);
    if (page >= last.totalPages || last.items.length === 0) break;
  }
  const shown = items.slice(0, options.limit);
  // One page as the API shapes it; several are joined into one such body.
  const body = last === undefined ? { items: [] } : { ...last, items: shown, number: 1, size: shown.length };
  return printRecords(context, options.output, body, () =>
    formatTable(
      ['ID', 'NAME', 'STATE', 'PROGRESS', 'CREATED'],
      shown.map((job) => [
        job.id,
        job.name ?? '',
        job.state,
        `${Math.round(job.progress ?? 0)}%`,
        job.createdAt ?? '',
      ]),
    ),
  );
}

export async function getJob(
  context: CommandContext,
  jobId: string,
  output: OutputFormat,
): Promise<ExitCode> {
  const job = await context.client.get<Job>(`/jobs/${jobId}`);
  return printRecords(context, output, job, () => {
    const lines = renderJobView(
      { job, executions: job.execution ?? [], subjobTasks: new Map(), logTail: [] },
      Date.now(),
      { width: 200, height: 10_000, color: false },
    );
    const extra = [
      job.result === undefined ? '' : `Result: ${job.result}`,
      job.error === undefined ? '' : `Error: ${job.error}`,
    ].filter((line) => line !== '');
    return `${[...lines, ...(extra.length > 0 ? ['', ...extra] : [])].join('\n')}\n`;
  });
}

interface NodeRecord {
  readonly id: string;
  readonly hostname?: string;
  readonly status?: string;
  readonly queues?: Readonly<Record<string, number>>;
  readonly runningTasks?: number;
  readonly lastHeartbeatAt?: string;
}

export async function listNodes(context: CommandContext, output: OutputFormat): Promise<ExitCode> {
  const nodes = await context.client.get<NodeRecord[]>('/nodes');
  return printRecords(context, output, nodes, () =>
    formatTable(
      ['ID', 'HOSTNAME', 'STATUS', 'QUEUES', 'RUNNING', 'LAST HEARTBEAT'],
      nodes.map((node) => [
        node.id,
        node.hostname ?? '',
        node.status ?? '',
        Object.entries(node.queues ?? {})
          .map(([name, concurrency]) => `${name}:${concurrency}`)
          .join(','),
        String(node.runningTasks ?? 0),
        node.lastHeartbeatAt ?? '',
      ]),
    ),
  );
}

interface QueueRecord {
  readonly name: string;
  readonly size: number;
  readonly subscribers: number;
  readonly unacked?: number | null;
}

export async function listQueues(context: CommandContext, output: OutputFormat): Promise<ExitCode> {
  const queues = await context.client.get<QueueRecord[]>('/queues');
  return printRecords(context, output, queues, () =>
    formatTable(
      ['NAME', 'SIZE', 'SUBSCRIBERS', 'UNACKED'],
      queues.map((queue) => [
        queue.name,
        String(queue.size),
        String(queue.subscribers),
        String(queue.unacked ?? '-'),
      ]),
    ),
  );
}

/** PUT /jobs/{id}/cancel or /restart; says what happened. */
export async function actOnJob(
  context: CommandContext,
  jobId: string,
  action: 'cancel' | 'restart',
): Promise<ExitCode> {
  await context.client.request('PUT', `/jobs/${jobId}/${action}`);
  context.stdout.write(`job ${jobId} ${action === 'cancel' ? 'cancelled' : 'restarted'}\n`);
  return EXIT.ok;
}
