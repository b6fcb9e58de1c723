import { applyChange, type Datastore, type Job, type JobChange, type Page, type PageQuery, type Task, type TaskChange } from '@tork/domain';

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
  private readonly tasksByJob = new Map<string, Task[]>();
  private readonly executionKeys = new Map<string, string>();
  private closed = false;

  createJob(job: Job): Promise<void> {
    this.ensureOpen();
    if (this.jobs.has(job.id)) return Promise.reject(new Error(`job ${job.id} already exists`));
    this.jobs.set(job.id, structuredClone(job));
    this.jobOrder.push(job.id);
    return Promise.resolve();
  }

  getJob(id: string): Promise<Job | undefined> {
    this.ensureOpen();
    const job = this.jobs.get(id);
    return Promise.resolve(job === undefined ? undefined : structuredClone(job));
  }

  listJobs(query: PageQuery): Promise<Page<Job>> {
    this.ensureOpen();
    const totalItems = this.jobOrder.length;
    const end = totalItems - (query.page - 1) * query.size;
    const start = Math.max(0, end - query.size);
    const items = this.jobOrder
      .slice(start, Math.max(0, end))
      .reverse()
      .flatMap((id) => {
        const job = this.jobs.get(id);
        return job === undefined ? [] : [structuredClone(job)];
      });
    return Promise.resolve({
      items,
      number: query.page,
      size: query.size,
      totalPages: Math.ceil(totalItems / query.size),
      totalItems,
    });
  }

  updateJob(id: string, change: JobChange): Promise<Job | undefined> {
    this.ensureOpen();
    const job = this.jobs.get(id);
    const updated = job === undefined ? undefined : applyChange(job, change);
    if (updated === undefined) return Promise.resolve(undefined);
    this.jobs.set(id, updated);
    return Promise.resolve(structuredClone(updated));
  }

  createTask(task: Task): Promise<Task> {
    this.ensureOpen();
    const key = `${task.jobId}/${task.position}/${task.attempt}`;
    const existingId = this.executionKeys.get(key);
    const existing = existingId === undefined ? undefined : this.tasks.get(existingId);
    if (existing !== undefined) return Promise.resolve(structuredClone(existing));
    const stored = structuredClone(task);
    this.tasks.set(task.id, stored);
    this.executionKeys.set(key, task.id);
    const list = this.tasksByJob.get(task.jobId) ?? [];
    list.push(stored);
    this.tasksByJob.set(task.jobId, list);
    return Promise.resolve(structuredClone(stored));
  }

  getTask(id: string): Promise<Task | undefined> {
    this.ensureOpen();
    const task = this.tasks.get(id);
    return Promise.resolve(task === undefined ? undefined : structuredClone(task));
  }

  listTasks(jobId: string): Promise<Task[]> {
    this.ensureOpen();
    const tasks = (this.tasksByJob.get(jobId) ?? []).map((task) => this.tasks.get(task.id) ?? task);
    tasks.sort((a, b) => a.position - b.position || a.attempt - b.attempt);
    return Promise.resolve(structuredClone(tasks));
  }

  updateTask(id: string, change: TaskChange): Promise<Task | undefined> {
    this.ensureOpen();
    const task = this.tasks.get(id);
    const updated = task === undefined ? undefined : applyChange(task, change);
    if (updated === undefined) return Promise.resolve(undefined);
    this.tasks.set(id, updated);
    return Promise.resolve(structuredClone(updated));
  }

  healthCheck(): Promise<void> {
    return this.closed ? Promise.reject(new Error('datastore is closed')) : Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('datastore is closed');
  }
}
