import type { NodeHeartbeat } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/**
 * Handles the `heartbeat` queue: the worker's state is recorded, stamped with the scheduler's own
 * clock at receipt (the sweeps compare it with that clock: a worker's skewed clock must neither
 * pin it UP nor get it taken for dead); an older heartbeat changes nothing.
 */
export async function handleHeartbeat(ctx: SchedulerContext, message: NodeHeartbeat): Promise<void> {
  await ctx.datastore.upsertNode({ ...message.node, lastHeartbeatAt: ctx.now() });
}
