import type { Metrics } from '@tork/domain';

/** Counts a worker's running tasks per queue and reports them, with the slots left, as gauges. */
export class QueueOccupancy {
  private readonly running = new Map<string, number>();

  constructor(
    private readonly metrics: Metrics,
    private readonly concurrency: Readonly<Record<string, number>>,
  ) {
    for (const queue of Object.keys(concurrency)) this.report(queue, 0);
  }

  started(queue: string): void {
    this.report(queue, (this.running.get(queue) ?? 0) + 1);
  }

  ended(queue: string): void {
    this.report(queue, Math.max(0, (this.running.get(queue) ?? 0) - 1));
  }

  private report(queue: string, running: number): void {
    this.running.set(queue, running);
    this.metrics.setRunningTasks(queue, running);
    this.metrics.setFreeSlots(queue, Math.max(0, (this.concurrency[queue] ?? 0) - running));
  }
}
