import {
  inChildSpan,
  SpanKind,
  type Attributes,
  type CredentialStore,
  type Datastore,
  type JobEventStore,
  type JobStore,
  type LogStore,
  type NodeStore,
  type ScheduleStore,
  type TaskStore,
  type WebhookDeliveryStore,
} from '@tork/domain';

/** What a datastore's spans carry as `db.system`: the adapter's database. */
export type DatabaseSystem = 'postgresql' | 'memory';

/**
 * Gives each call of a store a CLIENT span, `datastore <store>.<method>` (`datastore jobs.get`),
 * a child of the span it is made in; a rejection marks it failed. A call made outside any span (a
 * sweep's or a ticker's poll) gets none. The tork command wraps its datastore in it only when
 * tracing is on, so that otherwise every call goes straight to the adapter.
 */
export class TracingDatastore implements Datastore {
  readonly jobs: JobStore;
  readonly tasks: TaskStore;
  readonly logs: LogStore;
  readonly nodes: NodeStore;
  readonly events: JobEventStore;
  readonly credentials: CredentialStore;
  readonly webhooks: WebhookDeliveryStore;
  readonly schedules: ScheduleStore;

  constructor(
    private readonly inner: Datastore,
    system: DatabaseSystem,
  ) {
    const attributes: Attributes = { 'db.system': system };
    this.jobs = traced(inner.jobs, 'jobs', attributes);
    this.tasks = traced(inner.tasks, 'tasks', attributes);
    this.logs = traced(inner.logs, 'logs', attributes);
    this.nodes = traced(inner.nodes, 'nodes', attributes);
    this.events = traced(inner.events, 'events', attributes);
    this.credentials = traced(inner.credentials, 'credentials', attributes);
    this.webhooks = traced(inner.webhooks, 'webhooks', attributes);
    this.schedules = traced(inner.schedules, 'schedules', attributes);
  }

  // The work holds a lock for as long as it runs, and makes store calls of its own: no span of ours.
  runExclusive(name: string, work: () => Promise<void>): Promise<boolean> {
    return this.inner.runExclusive(name, work);
  }

  healthCheck(): Promise<void> {
    return this.inner.healthCheck();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A store: every member an async method, so that each can be awaited inside a span. */
type AsyncMethods<T> = { readonly [K in keyof T]: (...args: never[]) => Promise<unknown> };

/** `store` with each method call in a span of its own, named `datastore <name>.<method>`. */
function traced<T extends AsyncMethods<T>>(store: T, name: string, attributes: Attributes): T {
  const wrappers = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const spanAttributes = () => attributes;
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        // AsyncMethods<T> makes every method one that answers a promise.
        const method = value as (...args: unknown[]) => Promise<unknown>;
        const spanName = `datastore ${name}.${property}`;
        wrapper = (...args) =>
          inChildSpan(spanName, SpanKind.CLIENT, spanAttributes, () => method.apply(target, args));
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
