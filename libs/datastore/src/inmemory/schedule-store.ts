import {
  isJobVisibleTo,
  TorkError,
  type Job,
  type JobViewer,
  type Page,
  type PageQuery,
  type ScheduledJob,
  type ScheduledJobState,
  type ScheduleStore,
} from '@tork/domain';
import type { InMemoryJobStore } from './job-store.js';
import { copy, pageOf, withoutUndefined, type MemoryState } from './state.js';

export class InMemoryScheduleStore implements ScheduleStore {
  constructor(
    private readonly state: MemoryState,
    private readonly jobs: InMemoryJobStore,
  ) {}

  create(scheduled: ScheduledJob): Promise<void> {
    return this.state.run(() => {
      if (this.state.scheduledJobs.has(scheduled.id))
        throw new TorkError('CONFLICT', `scheduled job ${scheduled.id} already exists`);
      this.state.scheduledJobs.set(scheduled.id, structuredClone(scheduled));
    });
  }

  get(id: string): Promise<ScheduledJob | undefined> {
    return this.state.run(() => copy(this.state.scheduledJobs.get(id)));
  }

  list(query: PageQuery & { readonly visibleTo?: JobViewer }): Promise<Page<ScheduledJob>> {
    return this.state.run(() => {
      const { visibleTo } = query;
      const all = [...this.state.scheduledJobs.values()]
        .filter(
          (scheduled) =>
            visibleTo === undefined ||
            isJobVisibleTo(
              { createdBy: scheduled.createdBy, permissions: scheduled.spec.permissions },
              visibleTo,
            ),
        )
        .reverse();
      const page = pageOf(all, query);
      return { ...page, items: page.items.map((scheduled) => structuredClone(scheduled)) };
    });
  }

  due(now: string, limit: number): Promise<ScheduledJob[]> {
    return this.state.run(() =>
      this.nextFireTimes()
        .filter(({ at }) => at <= Date.parse(now))
        .slice(0, limit)
        .map(({ scheduled }) => structuredClone(scheduled)),
    );
  }

  nextFireAfter(after: string): Promise<string | undefined> {
    return this.state.run(
      () => this.nextFireTimes().find(({ at }) => at > Date.parse(after))?.scheduled.nextFireAt,
    );
  }

  setState(id: string, from: ScheduledJobState, to: ScheduledJobState, at: string): Promise<boolean> {
    return this.state.run(() => {
      const scheduled = this.state.scheduledJobs.get(id);
      if (scheduled?.state !== from) return false;
      this.state.scheduledJobs.set(id, {
        ...scheduled,
        state: to,
        ...(to === 'ACTIVE' ? { activeSince: at, nextFireAt: at } : {}),
      });
      return true;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.state.run(() => this.state.scheduledJobs.delete(id));
  }

  fire(id: string, fireAt: string, job: Job, nextFireAt: string | undefined): Promise<boolean> {
    return this.state.run(() => {
      const scheduled = this.state.scheduledJobs.get(id);
      if (scheduled?.state !== 'ACTIVE') return false;
      const { lastFiredAt } = scheduled;
      if (lastFiredAt !== undefined && Date.parse(lastFiredAt) >= Date.parse(fireAt)) return false;
      this.state.scheduledJobs.set(id, withoutUndefined({ ...scheduled, lastFiredAt: fireAt, nextFireAt }));
      // The tick's job exists already: it fired before (its id is derived from the tick).
      if (this.state.jobs.has(job.id)) return false;
      this.jobs.insert(job);
      return true;
    });
  }

  advance(id: string, from: string, to: string | undefined): Promise<boolean> {
    return this.state.run(() => {
      const scheduled = this.state.scheduledJobs.get(id);
      if (scheduled?.state !== 'ACTIVE' || scheduled.nextFireAt === undefined) return false;
      if (Date.parse(scheduled.nextFireAt) !== Date.parse(from)) return false;
      this.state.scheduledJobs.set(id, withoutUndefined({ ...scheduled, nextFireAt: to }));
      return true;
    });
  }

  /** The ACTIVE scheduled jobs with a next fire time, the earliest first. */
  private nextFireTimes(): { scheduled: ScheduledJob; at: number }[] {
    return [...this.state.scheduledJobs.values()]
      .flatMap((scheduled) =>
        scheduled.state === 'ACTIVE' && scheduled.nextFireAt !== undefined
          ? [{ scheduled, at: Date.parse(scheduled.nextFireAt) }]
          : [],
      )
      .sort((a, b) => a.at - b.at);
  }
}
