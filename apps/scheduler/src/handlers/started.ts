import { onTaskStarted, type TaskStarted } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import type { WorkflowRunner } from '../workflow-runner.js';

/** Handles the `started` queue: the task and its job are RUNNING. */
export async function handleStarted(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  message: TaskStarted,
): Promise<void> {
  await runner.run(onTaskStarted(message, ctx.now()));
}
