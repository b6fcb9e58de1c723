import type { NodeHeartbeat } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/** Handles the `heartbeat` queue: the worker's state is recorded; an older heartbeat changes nothing. */
export async function handleHeartbeat(ctx: SchedulerContext, message: NodeHeartbeat): Promise<void> {
  await ctx.datastore.upsertNode(message.node);
}
