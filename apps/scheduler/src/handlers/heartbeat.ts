import type { NodeHeartbeat } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/** Handles the `heartbeat` queue: the worker's state is recorded, stamped with the scheduler's clock. */
export async function handleHeartbeat(ctx: SchedulerContext, message: NodeHeartbeat): Promise<void> {
  await ctx.datastore.nodes.upsert({ ...message.node, lastHeartbeatAt: ctx.now() });
}
