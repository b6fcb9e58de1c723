import { errorMessage, NODE_LABEL, type Logger, type Runtime } from '@tork/domain';

/** After removing what a dead worker left, the survivors look once more this much later. */
export const LATE_LEFTOVERS_MS = 30_000;

/**
 * Removes the containers, volumes and networks a dead worker left on the runtime (`node.lost`), now
 * and once more a little later: a loaded engine finishes a create whose caller had already died.
 */
export class DeadWorkerCleanup {
  private readonly later = new Set<NodeJS.Timeout>();

  constructor(
    private readonly runtime: Runtime,
    private readonly logger: Logger,
  ) {}

  async nodeLost(deadNodeId: string): Promise<void> {
    await this.remove(deadNodeId);
    const timer = setTimeout(() => {
      this.later.delete(timer);
      this.remove(deadNodeId).catch((error: unknown) => {
        this.logger.warn({ deadNodeId, err: errorMessage(error) }, 'could not remove leftovers');
      });
    }, LATE_LEFTOVERS_MS);
    timer.unref();
    this.later.add(timer);
  }

  /** Cancels the second looks still to come. */
  stop(): void {
    for (const timer of this.later) clearTimeout(timer);
    this.later.clear();
  }

  private async remove(deadNodeId: string): Promise<void> {
    const removed = await this.runtime.removeLeftovers({ [NODE_LABEL]: deadNodeId });
    if (removed.containers + removed.volumes + removed.networks > 0)
      this.logger.info({ deadNodeId, ...removed }, 'removed what a dead worker left behind');
  }
}
