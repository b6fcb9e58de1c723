import { onTaskFailed, type TaskFailed } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import type { WorkflowRunner } from '../workflow-runner.js';

/** Handles the `error` queue: the task is FAILED; then it is retried or handed back, or its parent or job fails. */
export async function handleError(
  ctx: SchedulerContext,
  runner: WorkflowRunner,
  message: TaskFailed,
): Promise<void> {
  await runner.run(onTaskFailed(message, ctx.now()));
}
