import type { TaskLog } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { noticeLogs } from '../stream-notices.js';

/** Handles the `logs` queue: a task's output is kept, in order, once per entry, then live streams are told. */
export async function handleLogs(ctx: SchedulerContext, message: TaskLog): Promise<void> {
  await ctx.datastore.logs.append(message.jobId, message.entries);
  await noticeLogs(ctx, message.jobId, message.entries);
}
