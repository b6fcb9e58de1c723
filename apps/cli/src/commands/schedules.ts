import type { Page } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatTable, type OutputFormat } from '../output.js';
import { readSpec, specBody } from '../spec-file.js';
import { printRecords } from './records.js';

interface ScheduledJob {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly cron?: string;
  readonly schedule?: { readonly cron: string; readonly timezone?: string };
  readonly nextRunAt?: readonly string[];
}

export async function listSchedules(
  context: CommandContext,
  limit: number,
  output: OutputFormat,
): Promise<ExitCode> {
  const items: ScheduledJob[] = [];
  let last: Page<ScheduledJob> | undefined;
  for (let page = 1; items.length < limit; page++) {
    last = await context.client.get<Page<ScheduledJob>>(
      `/scheduled-jobs?page=${page}&size=${Math.min(100, limit)}`,
    );
    items.push(...last.items);
    if (page >= last.totalPages || last.items.length === 0) break;
  }
  const shown = items.slice(0, limit);
  const body = last === undefined ? { items: [] } : { ...last, items: shown, number: 1, size: shown.length };
  return printRecords(context, output, body, () =>
    formatTable(
      ['ID', 'NAME', 'STATE', 'CRON', 'TIMEZONE', 'NEXT RUN'],
      shown.map((schedule) => [
        schedule.id,
        schedule.name ?? '',
        schedule.state,
        schedule.schedule?.cron ?? schedule.cron ?? '',
        schedule.schedule?.timezone ?? 'UTC',
        schedule.nextRunAt?.[0] ?? '',
      ]),
    ),
  );
}

export async function createSchedule(
  context: CommandContext,
  file: string,
  output: OutputFormat,
): Promise<ExitCode> {
  const created = await context.client.request<ScheduledJob>(
    'POST',
    '/scheduled-jobs',
    specBody(file, readSpec(file, context.readStdin), []),
  );
  return printRecords(context, output, created, () => `${created.id}\n`);
}

export async function changeSchedule(
  context: CommandContext,
  id: string,
  action: 'pause' | 'resume' | 'delete',
): Promise<ExitCode> {
  if (action === 'delete') await context.client.request('DELETE', `/scheduled-jobs/${id}`);
  else await context.client.request('PUT', `/scheduled-jobs/${id}/${action}`);
  const done = { pause: 'paused', resume: 'resumed', delete: 'deleted' } as const;
  context.stdout.write(`scheduled job ${id} ${done[action]}\n`);
  return EXIT.ok;
}
