import type { Job, JobState } from '../job.js';
import type { NodeInfo } from '../node.js';
import type { JobViewer } from '../principal.js';
import type { Task, TaskLogEntry, TaskState } from '../task.js';
import type { JobChange, TaskChange } from '../transitions.js';
import type { CredentialStore } from './credential-store.js';

/**
 * Keeps jobs, task executions, task logs and workers. Adapters: InMemoryDatastore,
 * PostgresDatastore; both pass the datastore contract suite. Updates are compare-and-set: a
 * change names the states it may be applied from, and is applied at most once however many
 * processes race to apply it.
 */
export interface Datastore {
  /** API keys and users. */
  readonly credentials: CredentialStore;

  createJob(job: Job): Promise<void>;
  getJob(id: string): Promise<Job | undefined>;
  /** Newest first; with `visibleTo`, only the jobs that viewer may see (isJobVisibleTo). */
  listJobs(query: JobListQuery): Promise<Page<Job>>;
  /** Jobs in one of `states` created at or before `createdBefore`, oldest first: for sweeps. */
  findJobs(query: JobQuery): Promise<Job[]>;
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
  /** Tasks matching every given criterion, oldest first: for sweeps. */
  findTasks(query: TaskQuery): Promise<Task[]>;
  updateTask(id: string, change: TaskChange): Promise<Task | undefined>;
  /**
   * Records that the broker confirmed a SCHEDULED task's `task.run` (its `publishedAt`). Not a state
   * change: a task that has moved on (its worker was quicker) is left as it is. On the hot path of
   * every task, so it answers nothing.
   */
  markTaskPublished(id: string, at: string): Promise<void>;

  /** Appends log entries; an entry whose (taskId, number) is already stored is ignored. */
  appendLogs(entries: readonly TaskLogEntry[]): Promise<void>;
  /** A task's log entries by number, oldest first. */
  getLogs(taskId: string, query: PageQuery): Promise<Page<TaskLogEntry>>;

  /** Records a worker's heartbeat; a heartbeat older than the one stored changes nothing. */
  upsertNode(node: NodeInfo): Promise<void>;
  /** Workers by last heartbeat, newest first. */
  listNodes(): Promise<NodeInfo[]>;

  /**
   * Runs `work` unless another process is running work under the same name (a lock across every
   * process sharing the store): periodic sweeps run on one scheduler replica at a time. Resolves
   * to whether `work` ran.
   */
  runExclusive(name: string, work: () => Promise<void>): Promise<boolean>;

  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export interface PageQuery {
  /** 1-based. */
  readonly page: number;
  readonly size: number;
}

export interface JobListQuery extends PageQuery {
  readonly visibleTo?: JobViewer;
}

export interface Page<T> {
  readonly items: T[];
  readonly number: number;
  readonly size: number;
  readonly totalPages: number;
  readonly totalItems: number;
}

export interface JobQuery {
  readonly states: readonly JobState[];
  readonly createdBefore: string;
  readonly limit: number;
}

export interface TaskQuery {
  readonly states: readonly TaskState[];
  /** Only tasks last reported by one of these workers. */
  readonly nodeIds?: readonly string[];
  /** Only tasks due by then: `runAt`, or `createdAt` when it has none, at or before it. */
  readonly dueBy?: string;
  /** Only tasks that wait for a time of their own (`runAt` is set): delayed retries. */
  readonly delayedOnly?: boolean;
  /** Only tasks whose `deadlineAt` is at or before it. */
  readonly deadlineBy?: string;
  /** Only tasks scheduled at or before it whose `task.run` was never confirmed (no `publishedAt`). */
  readonly unpublishedBy?: string;
  /** Only tasks whose `task.run` was confirmed (`publishedAt`) at or before it. */
  readonly publishedBy?: string;
  readonly limit: number;
}
