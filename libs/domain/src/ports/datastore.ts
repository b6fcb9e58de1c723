import type { Job } from '../job.js';
import type { Task } from '../task.js';
import type { JobChange, TaskChange } from '../transitions.js';

/**
 * Keeps jobs and task executions. Adapters: InMemoryDatastore, PostgresDatastore; both pass the
 * datastore contract suite. Updates are compare-and-set: a change names the states it may be
 * applied from, and is applied at most once however many processes race to apply it.
 */
export interface Datastore {
  createJob(job: Job): Promise<void>;
  getJob(id: string): Promise<Job | undefined>;
  /** Newest first. */
  listJobs(query: PageQuery): Promise<Page<Job>>;
  /** Applies the change when the job is in one of `change.from`; the updated job, or undefined when it was not. */
  updateJob(id: string, change: JobChange): Promise<Job | undefined>;

  /**
   * Stores a new task execution. One execution exists per (jobId, position, attempt): when it
   * already exists, the stored one is returned and nothing is written.
   */
  createTask(task: Task): Promise<Task>;
  getTask(id: string): Promise<Task | undefined>;
  /** A job's executions by position, then attempt. */
  listTasks(jobId: string): Promise<Task[]>;
  updateTask(id: string, change: TaskChange): Promise<Task | undefined>;

  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export interface PageQuery {
  /** 1-based. */
  readonly page: number;
  readonly size: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly number: number;
  readonly size: number;
  readonly totalPages: number;
  readonly totalItems: number;
}
