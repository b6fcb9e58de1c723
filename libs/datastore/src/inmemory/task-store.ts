import {
  applyChange,
  isTaskActive,
  jobProgress,
  type Page,
  type PageQuery,
  type QueuedTaskCount,
  type Settled,
  type Task,
  type TaskChange,
  type TaskOverview,
  type TaskQuery,
  type TaskState,
  type TaskStore,
} from '@tork/domain';
import { executionKey } from './job-store.js';
import { copy, endedStraightFromScheduled, pageOf, withoutUndefined, type MemoryState } from './state.js';

export class InMemoryTaskStore implements TaskStore {
  /** Per composite task, its CREATED children in index order and how far promotion got. */
  private readonly waiting = new Map<string, { ids: string[]; next: number }>();

  constructor(private readonly state: MemoryState) {}

  create(tasks: readonly Task[]): Promise<Task[]> {
    return this.state.run(() => tasks.map((task) => this.insert(task)));
  }

  get(id: string): Promise<Task | undefined> {
    return this.state.run(() => copy(this.state.tasks.get(id)));
  }

  list(jobId: string, query: { readonly parentId?: string | null } = {}): Promise<Task[]> {
    return this.state.run(() => this.select(jobId, query.parentId).map((task) => structuredClone(task)));
  }

  page(jobId: string, query: PageQuery & { readonly parentId?: string | null }): Promise<Page<Task>> {
    return this.state.run(() => {
      const page = pageOf(this.select(jobId, query.parentId), query);
      return { ...page, items: page.items.map((task) => structuredClone(task)) };
    });
  }

  overview(jobId: string, childLimit: number): Promise<TaskOverview> {
    return this.state.run(() => {
      const tasks: Task[] = [];
      const childCounts: Record<string, Partial<Record<TaskState, number>>> = {};
      const shown = new Map<string, number>();
      for (const task of this.select(jobId, undefined)) {
        if (task.parentId === undefined) {
          tasks.push(structuredClone(task));
          continue;
        }
        const counts = (childCounts[task.parentId] ??= {});
        counts[task.state] = (counts[task.state] ?? 0) + 1;
        const seen = shown.get(task.parentId) ?? 0;
        if (seen < childLimit) tasks.push(structuredClone(task));
        shown.set(task.parentId, seen + 1);
      }
      return { tasks, childCounts };
    });
  }

  countQueued(): Promise<QueuedTaskCount[]> {
    return this.state.run(() => {
      const counts = new Map<string, QueuedTaskCount>();
      for (const id of this.state.activeTaskIds) {
        const task = this.state.tasks.get(id);
        if (task === undefined || task.kind !== 'task' || !isQueuedState(task.state)) continue;
        const key = `${task.queue}\u0000${task.state}`;
        const count = counts.get(key)?.count ?? 0;
        counts.set(key, { queue: task.queue, state: task.state, count: count + 1 });
      }
      return [...counts.values()];
    });
  }

  find(query: TaskQuery): Promise<Task[]> {
    return this.state.run(() => {
      const onlyActive = query.states.every((state) => isTaskActive(state));
      const candidates = onlyActive
        ? [...this.state.activeTaskIds].flatMap((id) => {
            const task = this.state.tasks.get(id);
            return task === undefined ? [] : [task];
          })
        : [...this.state.tasks.values()];
      return candidates
        .filter((task) => matches(task, query))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, query.limit)
        .map((task) => structuredClone(task));
    });
  }

  update(id: string, change: TaskChange): Promise<Task | undefined> {
    return this.state.run(() => copy(this.apply(id, change)));
  }

  settle(id: string, change: TaskChange): Promise<Settled> {
    return this.state.run(() => {
      const task = this.apply(id, change);
      if (task === undefined) return {};
      if (task.state === 'COMPLETED' && task.spec.var !== undefined) {
        const vars = this.state.vars.get(task.jobId) ?? new Map<string, string>();
        vars.set(task.spec.var, task.result ?? '');
        this.state.vars.set(task.jobId, vars);
      }
      if (task.parentId === undefined) return { task: structuredClone(task) };
      const stored = this.state.tasks.get(task.parentId);
      if (stored === undefined) return { task: structuredClone(task) };
      const parent: Task = { ...stored, pendingChildren: (stored.pendingChildren ?? 0) - 1 };
      this.state.tasks.set(parent.id, parent);
      const promoted = this.promoteOne(parent.id, change.at);
      return {
        task: structuredClone(task),
        parent: structuredClone(parent),
        ...(promoted === undefined ? {} : { promoted: structuredClone(promoted) }),
      };
    });
  }

  cancelActive(jobId: string, at: string): Promise<Task[]> {
    return this.state.run(() => {
      const state = this.state.jobs.get(jobId)?.state;
      // A restart overtook the end that asked: what is active now is the restarted run's.
      if (state !== 'FAILED' && state !== 'CANCELLED') return [];
      return (this.state.taskIdsByJob.get(jobId) ?? []).flatMap((id) => {
        if (!this.state.activeTaskIds.has(id)) return [];
        const cancelled = this.apply(id, {
          from: ['CREATED', 'PENDING', 'SCHEDULED', 'RUNNING'],
          patch: { state: 'CANCELLED', cancelledAt: at },
          at,
        });
        return cancelled === undefined ? [] : [structuredClone(cancelled)];
      });
    });
  }

  async markPublished(id: string, at: string): Promise<void> {
    await this.update(id, { from: ['SCHEDULED'], patch: { publishedAt: at } });
  }

  recordProgress(taskId: string, progress: number): Promise<boolean> {
    return this.state.run(() => {
      const task = this.state.tasks.get(taskId);
      if (task?.state !== 'RUNNING') return false;
      this.state.tasks.set(taskId, { ...task, progress });
      const job = this.state.jobs.get(task.jobId);
      if (task.parentId === undefined && job !== undefined)
        this.state.jobs.set(job.id, {
          ...job,
          progress: jobProgress(task.index, progress, job.tasks.length),
        });
      return true;
    });
  }

  private insert(task: Task): Task {
    const key = executionKey(task);
    const existingId = this.state.executionKeys.get(key);
    const existing = existingId === undefined ? undefined : this.state.tasks.get(existingId);
    if (existing !== undefined) return structuredClone(existing);
    const stored = structuredClone(task);
    this.state.tasks.set(task.id, stored);
    this.state.executionKeys.set(key, task.id);
    const ids = this.state.taskIdsByJob.get(task.jobId) ?? [];
    ids.push(task.id);
    this.state.taskIdsByJob.set(task.jobId, ids);
    if (task.parentId !== undefined) {
      const children = this.state.childIds.get(task.parentId) ?? [];
      children.push(task.id);
      this.state.childIds.set(task.parentId, children);
      if (task.state === 'CREATED') {
        const queue = this.waiting.get(task.parentId) ?? { ids: [], next: 0 };
        queue.ids.push(task.id);
        this.waiting.set(task.parentId, queue);
      }
    }
    if (isTaskActive(task.state)) this.state.activeTaskIds.add(task.id);
    if (task.state === 'SCHEDULED' && task.scheduledAt !== undefined) {
      // Stored already SCHEDULED (sent at once): it was PENDING at its creation first.
      this.state.record(task.jobId, 'PENDING', task.createdAt, task.id);
      this.state.record(task.jobId, 'SCHEDULED', task.scheduledAt, task.id);
    } else this.state.record(task.jobId, task.state, task.createdAt, task.id);
    return structuredClone(stored);
  }

  /** Applies a change to the stored task; the stored task after it, or undefined when it did not apply. */
  private apply(id: string, change: TaskChange): Task | undefined {
    const task = this.state.tasks.get(id);
    const changed = task === undefined ? undefined : applyChange(task, change);
    if (changed === undefined) return undefined;
    const updated = withoutUndefined(changed);
    this.state.tasks.set(id, updated);
    if (isTaskActive(updated.state)) this.state.activeTaskIds.add(id);
    else this.state.activeTaskIds.delete(id);
    if (task !== undefined && endedStraightFromScheduled(task, updated))
      this.state.record(updated.jobId, 'RUNNING', updated.startedAt, id);
    if (change.patch.state !== undefined)
      this.state.record(updated.jobId, updated.state, change.at ?? new Date().toISOString(), id);
    return updated;
  }

  /** The first CREATED child of a composite task becomes PENDING. */
  private promoteOne(parentId: string, at: string | undefined): Task | undefined {
    const queue = this.waiting.get(parentId);
    while (queue !== undefined && queue.next < queue.ids.length) {
      const id = queue.ids[queue.next++];
      if (id === undefined) break;
      const promoted = this.apply(id, {
        from: ['CREATED'],
        patch: { state: 'PENDING' },
        ...(at === undefined ? {} : { at }),
      });
      if (promoted !== undefined) return promoted;
    }
    return undefined;
  }

  /** A job's executions by index then attempt: top-level (null), one parent's children, or all. */
  private select(jobId: string, parentId: string | null | undefined): Task[] {
    const ids =
      typeof parentId === 'string'
        ? (this.state.childIds.get(parentId) ?? [])
        : (this.state.taskIdsByJob.get(jobId) ?? []);
    const tasks = ids.flatMap((id) => {
      const task = this.state.tasks.get(id);
      if (task === undefined || task.jobId !== jobId) return [];
      if (parentId === null && task.parentId !== undefined) return [];
      return [task];
    });
    // Every execution of a job: in the order they were created.
    if (parentId === undefined) return tasks;
    return tasks.sort((a, b) => a.index - b.index || a.attempt - b.attempt);
  }
}

function matches(task: Task, query: TaskQuery): boolean {
  return (
    query.states.includes(task.state) &&
    (query.nodeIds === undefined || (task.nodeId !== undefined && query.nodeIds.includes(task.nodeId))) &&
    (query.dueBy === undefined || (task.runAt ?? task.createdAt) <= query.dueBy) &&
    (query.delayedOnly !== true || task.runAt !== undefined) &&
    (query.deadlineBy === undefined ||
      (task.deadlineAt !== undefined && task.deadlineAt <= query.deadlineBy)) &&
    (query.unpublishedBy === undefined ||
      (task.publishedAt === undefined &&
        task.scheduledAt !== undefined &&
        task.scheduledAt <= query.unpublishedBy)) &&
    (query.publishedBy === undefined ||
      (task.publishedAt !== undefined && task.publishedAt <= query.publishedBy))
  );
}

function isQueuedState(state: TaskState): state is QueuedTaskCount['state'] {
  return state === 'PENDING' || state === 'SCHEDULED' || state === 'RUNNING';
}
