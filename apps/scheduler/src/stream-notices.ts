import {
  errorMessage,
  logTopic,
  stateTopic,
  type LogNotice,
  type StateNotice,
  type TaskLogEntry,
} from '@tork/domain';
import type { SchedulerContext } from './scheduler-context.js';

/** Tells live log streams (any API replica) of stored entries, by task; best effort, never failing the handler. */
export async function noticeLogs(
  ctx: SchedulerContext,
  jobId: string,
  entries: readonly TaskLogEntry[],
): Promise<void> {
  const byTask = new Map<string, TaskLogEntry[]>();
  for (const entry of entries) {
    const list = byTask.get(entry.taskId) ?? [];
    list.push(entry);
    byTask.set(entry.taskId, list);
  }
  for (const [taskId, list] of byTask) {
    const notice: LogNotice = { jobId, taskId, entries: list };
    await publishQuietly(ctx, logTopic(jobId, taskId), { ...notice });
  }
}

/** Tells live event streams that a job's or its tasks' states changed (the datastore holds the events). */
export async function noticeStates(ctx: SchedulerContext, jobIds: Iterable<string>): Promise<void> {
  ctx.eventsRecorded?.();
  for (const jobId of jobIds) {
    const notice: StateNotice = { jobId };
    await publishQuietly(ctx, stateTopic(jobId), { ...notice });
  }
}

async function publishQuietly(
  ctx: SchedulerContext,
  topic: string,
  event: Record<string, unknown>,
): Promise<void> {
  try {
    await ctx.broker.publishEvent(topic, event);
  } catch (error) {
    // Streams also poll the datastore: a lost notice only delays them.
    ctx.logger.debug({ topic, err: errorMessage(error) }, 'could not publish a stream notice');
  }
}
