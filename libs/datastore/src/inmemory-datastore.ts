import {
  TorkError,
  applyChange,
  isJobVisibleTo,
  type Datastore,
  type Job,
  type JobChange,
  type JobListQuery,
  type JobQuery,
  type NodeInfo,
  type Page,
  type PageQuery,
  type Task,
  type TaskChange,
  type TaskLogEntry,
  type TaskQuery,
} from '@tork/domain';
import { InMemoryCredentialStore } from './inmemory-credential-store.js';

/**
 * A datastore within one process, for standalone mode and tests. Records are copied in and
 * out so callers never share state with the store, as with a real database. Nothing survives a
 * restart.
 */
export class InMemoryDatastore implements Datastore {
  private readonly jobs = new Map<string, Job>();
  /** Newest last: listing walks it backwards. */
  private readonly jobOrder: string[] = [];
  private readonly tasks = new Map<string, Task>();
  private readonly taskIdsByJob = new Map<string, string[]>();
  private readonly executionKeys = new Map<string, string>();
  private readonly logs = new Map<string, Map<number, TaskLogEntry>>();
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly locks = new Set<string>();
  private closed = false;
  readonly credentials = new InMemoryCredentialStore((operation) => this.run(operation));

  createJob(job: Job): Promise<void> {
    return this.run(() => {
      if (this.jobs.has(job.id)) throw new TorkError('CONFLICT', `job ${job.id} already exists`);
      this.jobs.set(job.id, structuredClone(job));
      this.jobOrder.push(job.id);
    });
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.run(() => copy(this.jobs.get(id)));
  }

  listJobs(query: JobListQuery): Promise<Page<Job>> {
    return this.run(() => {
      const { visibleTo } = query;
      const ids =
        visibleTo === undefined
          ? this.jobOrder
          : this.jobOrder.filter((id) => {
              const job = this.jobs.get(id);
              return job !== undefined && isJobVisibleTo(job, visibleTo);
            });
      const totalItems = ids.length;
      const end = Math.max(0, totalItems - (query.page - 1) * query.size);
      const start = Math.max(0, end - query.size);
      const items = ids
        .slice(start, end)
        .reverse()
        .flatMap((id) => {
          const job = this.jobs.get(id);
          return job === undefined ? [] : [structuredClone(job)];
        });
      return {
        items,
        number: query.page,
        size: query.size,
        totalPages: Math.ceil(totalItems / query.size),
        totalItems,
      };
    });
  }

  findJobs(query: JobQuery): Promise<Job[]> {
    return this.run(() =>
      [...this.jobs.values()]
        .filter((job) => query.states.includes(job.state) && job.createdAt <= query.createdBefore)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, query.limit)
        .map((job) => structuredClone(job)),
    );
  }

  updateJob(id: string, change: JobChange): Promise<Job | undefined> {
    return this.run(() => {
      const job = this.jobs.get(id);
      const updated = job === undefined ? undefined : withoutUndefined(applyChange(job, change));
      if (updated !== undefined) this.jobs.set(id, updated);
      return copy(updated);
    });
  }

  createTask(task: Task): Promise<Task> {
    return this.run(() => {
      const key = `${task.jobId}/${task.position}/${task.attempt}`;
      const existingId = this.executionKeys.get(key);
      const existing = existingId === undefined ? undefined : this.tasks.get(existingId);
      if (existing !== undefined) return structuredClone(existing);
      this.tasks.set(task.id, structuredClone(task));
      this.executionKeys.set(key, task.id);
      const ids = this.taskIdsByJob.get(task.jobId) ?? [];
      ids.push(task.id);
      this.taskIdsByJob.set(task.jobId, ids);
      return structuredClone(task);
    });
  }

  getTask(id: string): Promise<Task | undefined> {
    return this.run(() => copy(this.tasks.get(id)));
  }

  listTasks(jobId: string): Promise<Task[]> {
    return this.run(() => {
      const tasks = (this.taskIdsByJob.get(jobId) ?? []).flatMap((id) => {
        const task = this.tasks.get(id);
        return task === undefined ? [] : [structuredClone(task)];
      });
      return tasks.sort((a, b) => a.position - b.position || a.attempt - b.attempt);
    });
  }

  findTasks(query: TaskQuery): Promise<Task[]> {
    return this.run(() =>
      [...this.tasks.values()]
        .filter(
          (task) =>
            query.states.includes(task.state) &&
            (query.nodeIds === undefined ||
              (task.nodeId !== undefined && query.nodeIds.includes(task.nodeId))) &&
            (query.dueBy === undefined || (task.runAt ?? task.createdAt) <= query.dueBy) &&
            (query.delayedOnly !== true || task.runAt !== undefined) &&
            (query.deadlineBy === undefined ||
              (task.deadlineAt !== undefined && task.deadlineAt <= query.deadlineBy)) &&
            (query.unpublishedBy === undefined ||
              (task.publishedAt === undefined &&
                task.scheduledAt !== undefined &&
                task.scheduledAt <= query.unpublishedBy)) &&
            (query.publishedBy === undefined ||
              (task.publishedAt !== undefined && task.publishedAt <= query.publishedBy)),
        )
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, query.limit)
        .map((task) => structuredClone(task)),
    );
  }

  updateTask(id: string, change: TaskChange): Promise<Task | undefined> {
    return this.run(() => {
      const task = this.tasks.get(id);
      const updated = task === undefined ? undefined : withoutUndefined(applyChange(task, change));
      if (updated !== undefined) this.tasks.set(id, updated);
      return copy(updated);
    });
  }

  async markTaskPublished(id: string, at: string): Promise<void> {
    await this.updateTask(id, { from: ['SCHEDULED'], patch: { publishedAt: at } });
  }

  appendLogs(entries: readonly TaskLogEntry[]): Promise<void> {
    return this.run(() => {
      for (const entry of entries) {
        const log = this.logs.get(entry.taskId) ?? new Map<number, TaskLogEntry>();
        if (!log.has(entry.number)) log.set(entry.number, structuredClone(entry));
        this.logs.set(entry.taskId, log);
      }
    });
  }

  getLogs(taskId: string, query: PageQuery): Promise<Page<TaskLogEntry>> {
    return this.run(() => {
      const all = [...(this.logs.get(taskId)?.values() ?? [])].sort((a, b) => a.number - b.number);
      const start = (query.page - 1) * query.size;
      return {
        items: all.slice(start, start + query.size).map((entry) => structuredClone(entry)),
        number: query.page,
        size: query.size,
        totalPages: Math.ceil(all.length / query.size),
        totalItems: all.length,
      };
    });
  }

  upsertNode(node: NodeInfo): Promise<void> {
    return this.run(() => {
      const stored = this.nodes.get(node.id);
      if (stored === undefined || stored.lastHeartbeatAt <= node.lastHeartbeatAt)
        this.nodes.set(node.id, structuredClone(node));
    });
  }

  listNodes(): Promise<NodeInfo[]> {
    return this.run(() =>
      [...this.nodes.values()]
        .sort((a, b) => b.lastHeartbeatAt.localeCompare(a.lastHeartbeatAt))
        .map((node) => structuredClone(node)),
    );
  }

  async runExclusive(name: string, work: () => Promise<void>): Promise<boolean> {
    if (this.locks.has(name)) return false;
    this.locks.add(name);
    try {
      await work();
      return true;
    } finally {
      this.locks.delete(name);
    }
  }

  healthCheck(): Promise<void> {
    return this.run(() => undefined);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Runs an operation as a database call would: failures, such as a closed store, reject. */
  private run<T>(operation: () => T): Promise<T> {
    try {
      if (this.closed) throw new Error('datastore is closed');
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function copy<T>(record: T | undefined): T | undefined {
  return record === undefined ? undefined : structuredClone(record);
}

/** Drops the fields a change cleared (set to undefined), so a record reads as a database returns it. */
function withoutUndefined<T extends object>(record: T | undefined): T | undefined {
  if (record === undefined) return undefined;
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}
