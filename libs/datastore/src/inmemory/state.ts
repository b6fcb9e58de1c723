import type {
  Job,
  JobEvent,
  Task,
  TaskLogEntry,
  NodeInfo,
  Page,
  PageQuery,
  ScheduledJob,
} from '@tork/domain';

/**
 * The records of an in-memory datastore, shared by its stores. Records are copied in and out, so
 * callers never share state with the store, as with a real database.
 */
export class MemoryState {
  readonly jobs = new Map<string, Job>();
  /** Newest last: listing walks it backwards. */
  readonly jobOrder: string[] = [];
  readonly vars = new Map<string, Map<string, string>>();
  readonly tasks = new Map<string, Task>();
  /** The tasks in an active state (CREATED, PENDING, SCHEDULED, RUNNING): sweeps read only these. */
  readonly activeTaskIds = new Set<string>();
  readonly taskIdsByJob = new Map<string, string[]>();
  /** Children of a composite task by id, in creation order. */
  readonly childIds = new Map<string, string[]>();
  /** Execution key (parent or job, index, attempt) → task id. */
  readonly executionKeys = new Map<string, string>();
  readonly logs = new Map<string, Map<number, TaskLogEntry>>();
  /** Log entries of a job in the order they were appended: (task id, number). */
  readonly jobLogs = new Map<string, { taskId: string; number: number }[]>();
  readonly nodes = new Map<string, NodeInfo>();
  /** Scheduled jobs by id, in the order they were created. */
  readonly scheduledJobs = new Map<string, ScheduledJob>();
  readonly events = new Map<string, JobEvent[]>();
  /** Every job's events by seq (those of deleted jobs dropped lazily): for the feed of all events. */
  eventLog: JobEvent[] = [];
  /** Finished jobs (COMPLETED, FAILED, CANCELLED), the earliest finished first: evicted in this order. */
  readonly finishedJobs = new Set<string>();
  private seq = 0;
  closed = false;

  /** Records a state a job or task took (the outbox of every change). */
  record(jobId: string, state: JobEvent['state'], at: string, taskId?: string): void {
    const list = this.events.get(jobId) ?? [];
    const event: JobEvent = {
      seq: ++this.seq,
      jobId,
      ...(taskId === undefined ? {} : { taskId }),
      state,
      at,
    };
    list.push(event);
    this.events.set(jobId, list);
    this.eventLog.push(event);
  }

  /** Runs an operation as a database call would: failures, such as a closed store, reject. */
  run<T>(operation: () => T): Promise<T> {
    try {
      if (this.closed) throw new Error('datastore is closed');
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

export function copy<T>(record: T | undefined): T | undefined {
  return record === undefined ? undefined : structuredClone(record);
}

/** Drops the fields a change cleared (set to undefined), so a record reads as a database returns it. */
export function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

export function pageOf<T>(all: readonly T[], query: PageQuery): Page<T> {
  const start = (query.page - 1) * query.size;
  return {
    items: all.slice(start, start + query.size),
    number: query.page,
    size: query.size,
    totalPages: Math.ceil(all.length / query.size),
    totalItems: all.length,
  };
}

/**
 * A task or job that ends straight from SCHEDULED with a start time ran without its start on
 * record (its worker reported start and end at once, or the end overtook the start): its RUNNING
 * is recorded too, at that time, before its end. As the PostgreSQL store's statements do.
 */
export function endedStraightFromScheduled<T extends { state: string; startedAt?: string }>(
  before: T,
  after: T,
): after is T & { startedAt: string } {
  return (
    before.state === 'SCHEDULED' &&
    after.startedAt !== undefined &&
    (after.state === 'COMPLETED' || after.state === 'FAILED')
  );
}
