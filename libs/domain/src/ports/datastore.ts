import type { Job, JobState } from '../job.js';
import type { JobListItem, JobSearch } from '../job-list.js';
import type { NodeInfo } from '../node.js';
import type { JobViewer } from '../principal.js';
import type { Task, TaskLogEntry, TaskState } from '../task.js';
import type { JobChange, TaskChange } from '../transitions.js';
import type { CredentialStore } from './credential-store.js';
import type { WebhookDeliveryStore } from './webhook-deliveries.js';
import type { ScheduleStore } from './schedule-store.js';

/**
 * Keeps jobs, task executions, task logs, workers and the events of every state change, as one
 * repository per aggregate. Adapters: InMemoryDatastore, PostgresDatastore; both pass the contract
 * suites in @tork/testing. Updates are compare-and-set: a change names the states it may be applied
 * from, and is applied at most once however many processes race to apply it. Every state a job or
 * task takes is recorded as a {@link JobEvent} by the same atomic step that sets it.
 */
export interface Datastore {
  readonly jobs: JobStore;
  readonly tasks: TaskStore;
  readonly logs: LogStore;
  readonly nodes: NodeStore;
  readonly events: JobEventStore;
  /** API keys and users. */
  readonly credentials: CredentialStore;
  /** The outbox of webhook deliveries. */
  readonly webhooks: WebhookDeliveryStore;
  /** Scheduled jobs, and the jobs their ticks create. */
  readonly schedules: ScheduleStore;
  /**
   * Runs `work` unless another process is running work under the same name (a lock across every
   * process sharing the store): periodic sweeps run on one scheduler replica at a time. Resolves
   * to whether `work` ran.
   */
  runExclusive(name: string, work: () => Promise<void>): Promise<boolean>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export interface JobStore {
  /** Stores a new job; one whose id is stored already is refused with CONFLICT. */
  create(job: Job): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /**
   * Newest first, as list items (no task definitions, inputs or result are read); with
   * `visibleTo`, only the jobs that viewer may see (isJobVisibleTo); with a search or `states`,
   * only the jobs that match (matchesJobSearch).
   */
  list(query: JobListQuery): Promise<Page<JobListItem>>;
  /** Jobs in one of `states` created at or before `createdBefore`, oldest first: for sweeps. */
  find(query: JobQuery): Promise<Job[]>;
  /** How many jobs are in one of `states` now: for metrics (an index serves it). */
  count(states: readonly JobState[]): Promise<number>;
  /**
   * Applies the change when the job is in one of `change.from`; whether it applied. (No caller
   * needs the job back, and a job row carries its whole spec: it is not read back.)
   */
  update(id: string, change: JobChange): Promise<boolean>;
  /** The job's context: each task `var` → the result it stored. */
  vars(jobId: string): Promise<Record<string, string>>;
  /** Deletes up to `limit` jobs whose `deleteAt` is at or before `now`, with their tasks, logs and events. */
  deleteExpired(now: string, limit: number): Promise<number>;
  /**
   * Retention: deletes up to `limit` finished jobs (COMPLETED, FAILED, CANCELLED) that ended
   * (jobFinishedAt) before `before`, oldest first, with their tasks, logs and events.
   */
  deleteFinished(before: string, limit: number): Promise<number>;
}

export interface TaskStore {
  /**
   * Stores new executions. One exists per (parent, index, attempt) — the parent being the job for a
   * top-level task: where one exists already, the stored one is answered and nothing is written.
   * Answers in the order given.
   */
  create(tasks: readonly Task[]): Promise<Task[]>;
  get(id: string): Promise<Task | undefined>;
  /**
   * A job's executions by index, then attempt: the top-level ones (`parentId: null`) or one
   * parent's children (`parentId`); or every one (no `parentId`) in the order they were created.
   */
  list(jobId: string, query?: { readonly parentId?: string | null }): Promise<Task[]>;
  /** One page of the executions `list` answers. */
  page(jobId: string, query: PageQuery & { readonly parentId?: string | null }): Promise<Page<Task>>;
  /**
   * What a job view shows, bounded however large the job: every top-level execution and the first
   * `childLimit` executions under each composite task, plus how many executions each composite
   * task has in each state.
   */
  overview(jobId: string, childLimit: number): Promise<TaskOverview>;
  /** Tasks matching every given criterion, oldest first: for sweeps. */
  find(query: TaskQuery): Promise<Task[]>;
  /**
   * How many tasks that run a container are waiting (PENDING, SCHEDULED) or running now, by queue
   * and state: for metrics and autoscaling. Composite tasks are not counted: they occupy no worker.
   */
  countQueued(): Promise<QueuedTaskCount[]>;
  update(id: string, change: TaskChange): Promise<Task | undefined>;
  /**
   * Ends a task well (`change` to COMPLETED or SKIPPED) with the fan-in, in one atomic step: when
   * the change applies, a COMPLETED task's `var` is stored in its job's context, its parent's
   * `pendingChildren` goes down by one, and a CREATED sibling (an `each` child waiting for a slot)
   * becomes PENDING. Two schedulers settling siblings at once thus see distinct counts, and exactly
   * one sees zero.
   */
  settle(id: string, change: TaskChange): Promise<Settled>;
  /**
   * Cancels every CREATED, PENDING, SCHEDULED or RUNNING task of a FAILED or CANCELLED job; answers
   * the tasks cancelled. A job in any other state (a restart overtook the end that asked) keeps its
   * tasks: what runs is the restarted run's.
   */
  cancelActive(jobId: string, at: string): Promise<Task[]>;
  /**
   * Records that the broker confirmed a SCHEDULED task's `task.run` (its `publishedAt`). Not a state
   * change: a task that has moved on (its worker was quicker) is left as it is. On the hot path of
   * every task, so it answers nothing, and a store may hold it a moment to batch it (it resolves
   * once recorded; callers need not wait).
   */
  markPublished(id: string, at: string): Promise<void>;
  /**
   * Records a RUNNING task's progress (0-100) and, for a top-level task, its job's: the top-level
   * tasks before it count as done, this one for its share (Tork's `(index + p/100) / taskCount`).
   * One atomic step without a read; a task that is not RUNNING is left as it is. Answers whether it applied.
   */
  recordProgress(taskId: string, progress: number): Promise<boolean>;
}

export interface Settled {
  /** The task as changed; undefined when the change did not apply (it was applied before, or the task moved on). */
  readonly task?: Task;
  /** The parent as counted, when the change applied to a task that has one. */
  readonly parent?: Task;
  /** The sibling that got the slot this task freed. */
  readonly promoted?: Task;
}

export interface QueuedTaskCount {
  readonly queue: string;
  readonly state: 'PENDING' | 'SCHEDULED' | 'RUNNING';
  readonly count: number;
}

export interface TaskOverview {
  readonly tasks: Task[];
  /** Composite task id → state → how many executions under it are in that state. */
  readonly childCounts: Readonly<Record<string, Partial<Record<TaskState, number>>>>;
}

export interface LogStore {
  /** Appends a job's log entries; an entry whose (taskId, number) is already stored is ignored. */
  append(jobId: string, entries: readonly TaskLogEntry[]): Promise<void>;
  /** A task's log entries by number, oldest first. */
  byTask(taskId: string, query: PageQuery): Promise<Page<TaskLogEntry>>;
  /** Every task's log entries of a job, in the order they were written. */
  byJob(jobId: string, query: PageQuery): Promise<Page<TaskLogEntry>>;
  /** Retention: deletes up to `limit` log entries written (`at`) before `before`, oldest first. */
  deleteBefore(before: string, limit: number): Promise<number>;
}

export interface NodeStore {
  /** Records a worker's heartbeat; a heartbeat older than the one stored changes nothing. */
  upsert(node: NodeInfo): Promise<void>;
  /**
   * Workers by last heartbeat, newest first. With `heartbeatSince`: only those heard from since
   * then, and those that still hold a RUNNING task however long silent (so a sweep that reads
   * recent workers still finds every dead worker's tasks).
   */
  list(query?: { readonly heartbeatSince?: string }): Promise<NodeInfo[]>;
  /** Deletes the workers silent since before `silentBefore` that hold no RUNNING task; how many. */
  prune(silentBefore: string): Promise<number>;
}

/** One state a job or one of its tasks took, in the order they were taken. */
export interface JobEvent {
  /** Increases with every event of the store: a consumer resumes after the last one it saw. */
  readonly seq: number;
  readonly jobId: string;
  /** Absent for the job's own state. */
  readonly taskId?: string;
  readonly state: JobState | TaskState;
  readonly at: string;
}

export interface JobEventStore {
  /** A job's events after `after` (exclusive), oldest first. */
  list(jobId: string, query: { readonly after?: number; readonly limit: number }): Promise<JobEvent[]>;
  /**
   * Every job's events after `after` (exclusive), by `seq`: for the consumers of all events
   * (webhooks, broker topics). A seq may show up late (its transaction commits after a later one's)
   * or never (rolled back, or its job deleted): see the job event feed.
   */
  since(after: number, limit: number): Promise<JobEvent[]>;
}

export interface PageQuery {
  /** 1-based. */
  readonly page: number;
  readonly size: number;
}

export interface JobListQuery extends PageQuery, JobSearch {
  readonly visibleTo?: JobViewer;
  /** Only jobs in one of these states. */
  readonly states?: readonly JobState[];
  /** Only the jobs this scheduled job's ticks created. */
  readonly scheduledJobId?: string;
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
