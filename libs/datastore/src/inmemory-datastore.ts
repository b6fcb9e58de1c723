import type { Datastore } from '@tork/domain';
import { InMemoryCredentialStore } from './inmemory-credential-store.js';
import { InMemoryJobStore } from './inmemory/job-store.js';
import { InMemoryJobEventStore, InMemoryLogStore, InMemoryNodeStore } from './inmemory/log-store.js';
import { InMemoryScheduleStore } from './inmemory/schedule-store.js';
import { MemoryState } from './inmemory/state.js';
import { InMemoryTaskStore } from './inmemory/task-store.js';
import { InMemoryWebhookDeliveryStore } from './inmemory/webhook-delivery-store.js';

/**
 * A datastore within one process, for standalone mode and tests. Records are copied in and out so
 * callers never share state with the store, as with a real database. Nothing survives a restart.
 */
export interface InMemoryDatastoreOptions {
  /** Finished jobs kept (with their tasks and logs); the earliest finished are deleted beyond it. Default: no bound. */
  readonly maxFinishedJobs?: number;
}

export class InMemoryDatastore implements Datastore {
  private readonly state = new MemoryState();
  readonly jobs: InMemoryJobStore;
  readonly tasks = new InMemoryTaskStore(this.state);
  readonly logs = new InMemoryLogStore(this.state);
  readonly nodes = new InMemoryNodeStore(this.state);
  readonly events = new InMemoryJobEventStore(this.state);
  readonly credentials = new InMemoryCredentialStore((operation) => this.state.run(operation));
  readonly webhooks = new InMemoryWebhookDeliveryStore(this.state);
  readonly schedules: InMemoryScheduleStore;
  private readonly locks = new Set<string>();

  constructor(options: InMemoryDatastoreOptions = {}) {
    this.jobs = new InMemoryJobStore(this.state, options.maxFinishedJobs);
    this.schedules = new InMemoryScheduleStore(this.state, this.jobs);
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
    return this.state.run(() => undefined);
  }

  close(): Promise<void> {
    this.state.closed = true;
    return Promise.resolve();
  }
}
