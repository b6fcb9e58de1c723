import { ApiError } from '../api-client.js';
import type { LogEntry, Page } from '../api-types.js';
import type { CommandContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

const PAGE_SIZE = 100;

/** A job's log, else (the id is no job's) a task's; with `follow`, its live stream until it ends. */
export async function printLogs(context: CommandContext, id: string, follow: boolean): Promise<ExitCode> {
  try {
    await print(context, `/jobs/${id}/log`, follow);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    await print(context, `/tasks/${id}/log`, follow);
  }
  return EXIT.ok;
}

async function print(context: CommandContext, path: string, follow: boolean): Promise<void> {
  if (follow) {
    for await (const event of context.client.stream(`${path}?follow=true`)) {
      if (event.event === 'end') return;
      if (event.event === 'log') context.stdout.write((JSON.parse(event.data) as LogEntry).text);
    }
    return;
  }
  for (let page = 1; ; page++) {
    const entries = await context.client.get<Page<LogEntry>>(`${path}?page=${page}&size=${PAGE_SIZE}`);
    for (const entry of entries.items) context.stdout.write(entry.text);
    if (page >= entries.totalPages) return;
  }
}
