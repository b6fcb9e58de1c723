import {
  inChildSpan,
  SpanKind,
  type Attributes,
  type ContainerOutcome,
  type ContainerSpec,
  type Leftovers,
  type Runtime,
  type RuntimeFeatures,
  type VolumeOptions,
} from '@tork/domain';

/**
 * Gives each call of a runtime a CLIENT span, `runtime <method>` (`runtime run`, with the image
 * when there is one), a child of the span it is made in (a task's `worker run`); a rejection marks
 * it failed. A call made outside any span gets none. The tork command wraps its runtime in it only
 * when tracing is on.
 */
export class TracingRuntime implements Runtime {
  readonly features: RuntimeFeatures;
  private readonly attributes: Attributes;

  /** `runtime`: the adapter's name as the flags give it (`docker`, `shell`), for `tork.runtime`. */
  constructor(
    private readonly inner: Runtime,
    runtime: string,
  ) {
    this.features = inner.features;
    this.attributes = { 'tork.runtime': runtime };
  }

  run(container: ContainerSpec, signal: AbortSignal): Promise<ContainerOutcome> {
    return inChildSpan(
      'runtime run',
      SpanKind.CLIENT,
      () =>
        container.image === undefined
          ? this.attributes
          : { ...this.attributes, 'container.image.name': container.image },
      () => this.inner.run(container, signal),
    );
  }

  createVolume(name: string, options?: VolumeOptions): Promise<string> {
    return this.traced('runtime createVolume', () => this.inner.createVolume(name, options));
  }

  removeVolume(name: string): Promise<void> {
    return this.traced('runtime removeVolume', () => this.inner.removeVolume(name));
  }

  removeLeftovers(labels: Readonly<Record<string, string>>): Promise<Leftovers> {
    return this.traced('runtime removeLeftovers', () => this.inner.removeLeftovers(labels));
  }

  healthCheck(): Promise<void> {
    return this.inner.healthCheck();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private traced<T>(name: string, call: () => Promise<T>): Promise<T> {
    return inChildSpan(name, SpanKind.CLIENT, () => this.attributes, call);
  }
}
