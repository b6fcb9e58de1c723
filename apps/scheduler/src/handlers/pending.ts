import type { TaskPending } from '@tork/domain';
import type { WorkflowRunner } from '../workflow-runner.js';

/** Handles the `pending` queue: a task is handed on (to its work queue, or to its children). */
export async function handlePending(runner: WorkflowRunner, message: TaskPending): Promise<void> {
  await runner.handle({ type: 'task.dispatch', jobId: message.jobId, taskId: message.taskId });
}
