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

  list(): Promise<NodeInfo[]> {
    return this.state.run(() =>
      [...this.state.nodes.values()]
        .sort((a, b) => b.lastHeartbeatAt.localeCompare(a.lastHeartbeatAt))
        .map((node) => structuredClone(node)),
    );
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
}
