import {
  FINISHED_JOB_STATES,
  TorkError,
  applyChange,
  isJobVisibleTo,
  jobFinishedAt,
  matchesJobSearch,
  toJobListItem,
  type Job,
  type JobChange,
  type JobListItem,
  type JobListQuery,
  type JobQuery,
  type JobState,
  type JobStore,
  type Page,
} from '@tork/domain';
import { copy, endedStraightFromScheduled, withoutUndefined, type MemoryState } from './state.js';

export class InMemoryJobStore implements JobStore {
  /** @param maxFinishedJobs finished jobs kept; the earliest finished are deleted beyond it. */
  constructor(
    private readonly state: MemoryState,
    private readonly maxFinishedJobs = Number.POSITIVE_INFINITY,
  ) {}

  create(job: Job): Promise<void> {
    return this.state.run(() => {
      this.insert(job);
    });
  }

  /** Stores a new job at once (for a step that stores more with it); CONFLICT when its id is taken. */
  insert(job: Job): void {
    if (this.state.jobs.has(job.id)) throw new TorkError('CONFLICT', `job ${job.id} already exists`);
    this.state.jobs.set(job.id, structuredClone(job));
    this.state.jobOrder.push(job.id);
    this.state.record(job.id, job.state, job.createdAt);
    this.trackFinished(job);
  }

  get(id: string): Promise<Job | undefined> {
    return this.state.run(() => copy(this.state.jobs.get(id)));
  }

  list(query: JobListQuery): Promise<Page<JobListItem>> {
    return this.state.run(() => {
      const { jobs } = this.state;
      const { visibleTo } = query;
      const unfiltered =
        visibleTo === undefined &&
        query.text === undefined &&
        query.tags === undefined &&
        query.states === undefined &&
        query.scheduledJobId === undefined;
      const ids = unfiltered
        ? this.state.jobOrder
        : this.state.jobOrder.filter((id) => {
            const job = jobs.get(id);
            return (
              job !== undefined &&
              (visibleTo === undefined || isJobVisibleTo(job, visibleTo)) &&
              (query.scheduledJobId === undefined || job.schedule?.id === query.scheduledJobId) &&
              matchesJobSearch(job, query)
            );
          });
      const totalItems = ids.length;
      const end = Math.max(0, totalItems - (query.page - 1) * query.size);
      const start = Math.max(0, end - query.size);
      const items = ids
        .slice(start, end)
        .reverse()
        .flatMap((id) => {
          const job = jobs.get(id);
          return job === undefined ? [] : [structuredClone(toJobListItem(job))];
        });
      return {
        items,
        number: query.page,
        size: query.size,
        totalItems,
        totalPages: Math.ceil(totalItems / query.size),
      };
    });
  }

  find(query: JobQuery): Promise<Job[]> {
    return this.state.run(() =>
      [...this.state.jobs.values()]
        .filter((job) => query.states.includes(job.state) && job.createdAt <= query.createdBefore)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, query.limit)
        .map((job) => structuredClone(job)),
    );
  }

  count(states: readonly JobState[]): Promise<number> {
    return this.state.run(
      () => [...this.state.jobs.values()].filter((job) => states.includes(job.state)).length,
    );
  }

  update(id: string, change: JobChange): Promise<boolean> {
    return this.state.run(() => {
      const job = this.state.jobs.get(id);
      const changed = job === undefined ? undefined : applyChange(job, change);
      if (changed === undefined) return false;
      const updated = withoutUndefined(changed);
      this.state.jobs.set(id, updated);
      if (job !== undefined && endedStraightFromScheduled(job, updated))
        this.state.record(id, 'RUNNING', updated.startedAt);
      if (change.patch.state !== undefined) {
        this.state.record(id, updated.state, change.at ?? new Date().toISOString());
        this.trackFinished(updated);
      }
      return true;
    });
  }

  vars(jobId: string): Promise<Record<string, string>> {
    return this.state.run(() => Object.fromEntries(this.state.vars.get(jobId) ?? []));
  }

  deleteExpired(now: string, limit: number): Promise<number> {
    return this.state.run(() => {
      const expired = [...this.state.jobs.values()]
        .filter((job) => job.deleteAt !== undefined && job.deleteAt <= now)
        .slice(0, limit);
      for (const job of expired) deleteJob(this.state, job.id);
      return expired.length;
    });
  }

  deleteFinished(before: string, limit: number): Promise<number> {
    return this.state.run(() => {
      const ended = [...this.state.finishedJobs].flatMap((id) => {
        const job = this.state.jobs.get(id);
        const at = job === undefined ? undefined : jobFinishedAt(job);
        return at !== undefined && at < before ? [{ id, at }] : [];
      });
      const oldest = ended.sort((a, b) => a.at.localeCompare(b.at)).slice(0, limit);
      for (const { id } of oldest) deleteJob(this.state, id);
      return oldest.length;
    });
  }

  /** Keeps the finished jobs in the order they finished, and at most maxFinishedJobs of them. */
  private trackFinished(job: Job): void {
    const { finishedJobs } = this.state;
    finishedJobs.delete(job.id);
    if (!FINISHED_JOB_STATES.includes(job.state)) return;
    finishedJobs.add(job.id);
    for (const id of finishedJobs) {
      if (finishedJobs.size <= this.maxFinishedJobs) break;
      deleteJob(this.state, id);
    }
  }
}

function deleteJob(state: MemoryState, jobId: string): void {
  state.jobs.delete(jobId);
  state.finishedJobs.delete(jobId);
  const at = state.jobOrder.indexOf(jobId);
  if (at >= 0) state.jobOrder.splice(at, 1);
  state.vars.delete(jobId);
  state.events.delete(jobId);
  for (const taskId of state.taskIdsByJob.get(jobId) ?? []) {
    const task = state.tasks.get(taskId);
    if (task !== undefined) state.executionKeys.delete(executionKey(task));
    state.tasks.delete(taskId);
    state.activeTaskIds.delete(taskId);
    state.childIds.delete(taskId);
    state.logs.delete(taskId);
  }
  state.taskIdsByJob.delete(jobId);
  state.jobLogs.delete(jobId);
}

/** A task execution's identity: one exists per (parent or job, index, attempt). */
export function executionKey(task: {
  jobId: string;
  parentId?: string;
  index: number;
  attempt: number;
}): string {
  return `${task.parentId ?? task.jobId}/${String(task.index)}/${String(task.attempt)}`;
}
