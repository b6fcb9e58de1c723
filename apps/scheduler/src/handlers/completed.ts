import { onTaskCompleted, type TaskCompleted } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import type { WorkflowRunner } from '../workflow-runner.js';

/** Handles the `completed` queue: the task is COMPLETED, then its parent or job moves on. */
export async function handleCompleted(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  message: TaskCompleted,
): Promise<void> {
  await runner.run(onTaskCompleted(message, ctx.now()));
}
