import { setTimeout as sleep } from 'node:timers/promises';
import {
  isJobActive,
  isTaskActive,
  jobLogTopics,
  logTopic,
  stateTopic,
  type Broker,
  type Datastore,
  type Job,
  type JobEvent,
  type Page,
  type PageQuery,
  type Task,
  type TaskLogEntry,
} from '@tork/domain';
import { toLogPage } from '../views.js';
import { listen, Waker } from './notices.js';
import type { SseStream } from './sse-stream.js';

export interface FollowDeps {
  readonly datastore: Datastore;
  readonly broker: Broker;
  /** How often the datastore is read without a notice: notices are best effort (default 2 s). */
  readonly pollMs?: number;
  /** How long output is still read after its task or job ended: a late batch of the last lines (default 500 ms). */
  readonly settleMs?: number;
}

const READ_SIZE = 100;
const EVENTS_READ = 1000;

/** The entries of a paged log from a 0-based offset on, page by page. */
async function* entriesFrom(
  read: (query: PageQuery) => Promise<Page<TaskLogEntry>>,
  offset: number,
): AsyncGenerator<TaskLogEntry> {
  let at = offset;
  for (;;) {
    const page = await read({ page: Math.floor(at / READ_SIZE) + 1, size: READ_SIZE });
    const items = page.items.slice(at % READ_SIZE);
    for (const entry of items) yield entry;
    at += items.length;
    if (page.items.length < READ_SIZE) return;
  }
}

interface LogFollow {
  readonly stream: SseStream;
  readonly deps: FollowDeps;
  readonly secrets: readonly string[];
  /** Topics whose notices mean new output or a state change. */
  readonly topics: readonly string[];
  readonly read: (query: PageQuery) => Promise<Page<TaskLogEntry>>;
  /** Entries already sent (the client's Last-Event-ID): the next is read from this offset. */
  readonly from: number;
  /** The id of the entry at a 0-based position of the log. */
  readonly idOf: (entry: TaskLogEntry, position: number) => number;
  readonly ended: () => Promise<boolean>;
}

/**
 * Streams a task's log (ids: entry numbers) from after `lastEventId`: what is stored first, then
 * new entries as they are stored, then `event: end` once the task has ended.
 */
export function followTaskLog(
  stream: SseStream,
  deps: FollowDeps,
  task: Task,
  secrets: readonly string[],
  lastEventId: number,
): Promise<void> {
  return followLog({
    stream,
    deps,
    secrets,
    topics: [logTopic(task.jobId, task.id), stateTopic(task.jobId)],
    read: (query) => deps.datastore.logs.byTask(task.id, query),
    // Numbers run 1, 2, ... within a task, so the entries before number n are n - 1.
    from: lastEventId,
    idOf: (entry) => entry.number,
    ended: async () => {
      const current = await deps.datastore.tasks.get(task.id);
      return current === undefined || !isTaskActive(current.state);
    },
  });
}

/**
 * Streams every task's log of a job in the order it was stored (ids: the entry's position in the
 * job's log, from 1), then `event: end` once the job has ended.
 */
export function followJobLog(
  stream: SseStream,
  deps: FollowDeps,
  job: Job,
  secrets: readonly string[],
  lastEventId: number,
): Promise<void> {
  return followLog({
    stream,
    deps,
    secrets,
    topics: [jobLogTopics(job.id), stateTopic(job.id)],
    read: (query) => deps.datastore.logs.byJob(job.id, query),
    from: lastEventId,
    idOf: (_entry, position) => position + 1,
    ended: async () => {
      const current = await deps.datastore.jobs.get(job.id);
      return current === undefined || !isJobActive(current.state);
    },
  });
}

async function followLog(follow: LogFollow): Promise<void> {
  const { stream, deps } = follow;
  const waker = new Waker(stream.closed);
  const unsubscribe = await listen(deps.broker, follow.topics, waker.notify);
  let sent = follow.from;
  const drain = async (): Promise<void> => {
    const batch: TaskLogEntry[] = [];
    for await (const entry of entriesFrom(follow.read, sent)) batch.push(entry);
    const views = toLogPage(
      { items: batch, number: 1, size: batch.length, totalPages: 1, totalItems: batch.length },
      follow.secrets,
    ).items;
    views.forEach((view, index) => {
      const entry = batch[index];
      if (entry !== undefined) stream.send('log', follow.idOf(entry, sent + index), view);
    });
    sent += batch.length;
  };
  try {
    while (stream.isOpen) {
      const ended = await follow.ended();
      await drain();
      if (ended) {
        await sleep(deps.settleMs ?? 500);
        await drain();
        stream.send('end', undefined, {});
        return;
      }
      await waker.wait(deps.pollMs ?? 2000);
    }
  } finally {
    await unsubscribe();
    stream.end();
  }
}

/**
 * Streams a job's and its tasks' state changes (ids: the datastore's event sequence, so a client
 * resumes after any replica's restart), then `event: end` once the job has ended.
 */
export async function followJobEvents(
  stream: SseStream,
  deps: FollowDeps,
  job: Job,
  lastEventId: number,
): Promise<void> {
  const waker = new Waker(stream.closed);
  const unsubscribe = await listen(deps.broker, [stateTopic(job.id)], waker.notify);
  let after = lastEventId;
  try {
    while (stream.isOpen) {
      for (;;) {
        const events = await deps.datastore.events.list(job.id, { after, limit: EVENTS_READ });
        for (const event of events) {
          stream.send('state', event.seq, stateData(event));
          after = event.seq;
        }
        if (events.length < EVENTS_READ) break;
      }
      const current = await deps.datastore.jobs.get(job.id);
      if (current === undefined || !isJobActive(current.state)) {
        // Events stored with the final state are read once more: they may trail the job's row.
        const rest = await deps.datastore.events.list(job.id, { after, limit: EVENTS_READ });
        for (const event of rest) {
          stream.send('state', event.seq, stateData(event));
          after = event.seq;
        }
        stream.send('end', undefined, { state: current?.state });
        return;
      }
      await waker.wait(deps.pollMs ?? 2000);
    }
  } finally {
    await unsubscribe();
    stream.end();
  }
}

/** An event as the stream shows it: `{jobId, taskId?, state, at}`. */
function stateData(event: JobEvent): Record<string, string> {
  return {
    jobId: event.jobId,
    ...(event.taskId === undefined ? {} : { taskId: event.taskId }),
    state: event.state,
    at: event.at,
  };
}
