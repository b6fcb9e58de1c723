import type {
  JobEvent,
  JobEventStore,
  LogStore,
  NodeInfo,
  NodeStore,
  Page,
  PageQuery,
  TaskLogEntry,
} from '@tork/domain';
import { pageOf, type MemoryState } from './state.js';

export class InMemoryLogStore implements LogStore {
  constructor(private readonly state: MemoryState) {}

  append(jobId: string, entries: readonly TaskLogEntry[]): Promise<void> {
    return this.state.run(() => {
      const order = this.state.jobLogs.get(jobId) ?? [];
      for (const entry of entries) {
        const log = this.state.logs.get(entry.taskId) ?? new Map<number, TaskLogEntry>();
        if (log.has(entry.number)) continue;
        log.set(entry.number, structuredClone(entry));
        this.state.logs.set(entry.taskId, log);
        order.push({ taskId: entry.taskId, number: entry.number });
      }
      this.state.jobLogs.set(jobId, order);
    });
  }

  byTask(taskId: string, query: PageQuery): Promise<Page<TaskLogEntry>> {
    return this.state.run(() => {
      const all = [...(this.state.logs.get(taskId)?.values() ?? [])].sort((a, b) => a.number - b.number);
      const page = pageOf(all, query);
      return { ...page, items: page.items.map((entry) => structuredClone(entry)) };
    });
  }

  byJob(jobId: string, query: PageQuery): Promise<Page<TaskLogEntry>> {
    return this.state.run(() => {
      const page = pageOf(this.state.jobLogs.get(jobId) ?? [], query);
      const items = page.items.flatMap(({ taskId, number }) => {
        const entry = this.state.logs.get(taskId)?.get(number);
        return entry === undefined ? [] : [structuredClone(entry)];
      });
      return { ...page, items };
    });
  }

  deleteBefore(before: string, limit: number): Promise<number> {
    return this.state.run(() => {
      const old: TaskLogEntry[] = [];
      for (const log of this.state.logs.values())
        for (const entry of log.values()) if (entry.at < before) old.push(entry);
      const oldest = old.sort((a, b) => a.at.localeCompare(b.at)).slice(0, limit);
      const gone = new Set<string>();
      for (const entry of oldest) {
        const log = this.state.logs.get(entry.taskId);
        log?.delete(entry.number);
        if (log?.size === 0) this.state.logs.delete(entry.taskId);
        gone.add(`${entry.taskId}/${String(entry.number)}`);
      }
      if (gone.size > 0)
        for (const [jobId, order] of this.state.jobLogs) {
          const kept = order.filter(({ taskId, number }) => !gone.has(`${taskId}/${String(number)}`));
          if (kept.length === 0) this.state.jobLogs.delete(jobId);
          else if (kept.length < order.length) this.state.jobLogs.set(jobId, kept);
        }
      return oldest.length;
    });
  }
}

export class InMemoryNodeStore implements NodeStore {
  constructor(private readonly state: MemoryState) {}

  upsert(node: NodeInfo): Promise<void> {
    return this.state.run(() => {
      const stored = this.state.nodes.get(node.id);
      if (stored === undefined || stored.lastHeartbeatAt <= node.lastHeartbeatAt)
        this.state.nodes.set(node.id, structuredClone(node));
    });
  }

  list(query: { readonly heartbeatSince?: string } = {}): Promise<NodeInfo[]> {
    const { heartbeatSince } = query;
    return this.state.run(() =>
      [...this.state.nodes.values()]
        .filter(
          (node) =>
            heartbeatSince === undefined ||
            node.lastHeartbeatAt >= heartbeatSince ||
            this.holdsRunningTask(node.id),
        )
        .sort((a, b) => b.lastHeartbeatAt.localeCompare(a.lastHeartbeatAt))
        .map((node) => structuredClone(node)),
    );
  }

  prune(silentBefore: string): Promise<number> {
    return this.state.run(() => {
      let pruned = 0;
      for (const node of [...this.state.nodes.values()]) {
        if (node.lastHeartbeatAt >= silentBefore || this.holdsRunningTask(node.id)) continue;
        this.state.nodes.delete(node.id);
        pruned++;
      }
      return pruned;
    });
  }

  private holdsRunningTask(nodeId: string): boolean {
    for (const id of this.state.activeTaskIds) {
      const task = this.state.tasks.get(id);
      if (task?.state === 'RUNNING' && task.nodeId === nodeId) return true;
    }
    return false;
  }
}

export class InMemoryJobEventStore implements JobEventStore {
  constructor(private readonly state: MemoryState) {}

  list(jobId: string, query: { readonly after?: number; readonly limit: number }): Promise<JobEvent[]> {
    return this.state.run(() => {
      const after = query.after ?? 0;
      return (this.state.events.get(jobId) ?? [])
        .filter((event) => event.seq > after)
        .slice(0, query.limit)
        .map((event) => ({ ...event }));
    });
  }

  since(after: number, limit: number): Promise<JobEvent[]> {
    return this.state.run(() => {
      const log = this.state.eventLog.filter((event) => this.state.events.has(event.jobId));
      this.state.eventLog = log;
      // The log is in seq order: find the first event after `after` by bisection.
      let low = 0;
      let high = log.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if ((log[middle]?.seq ?? 0) <= after) low = middle + 1;
        else high = middle;
      }
      return log.slice(low, low + limit).map((event) => ({ ...event }));
    });
  }
}
