import { TaskAbort } from './task-abort.js';

/** The tasks this worker runs now, each with the controller that stops it. */
export class RunningTasks {
  private readonly controllers = new Map<string, AbortController>();

  get size(): number {
    return this.controllers.size;
  }

  has(taskId: string): boolean {
    return this.controllers.has(taskId);
  }

  /** Registers a task; its run stops when the returned signal aborts. */
  add(taskId: string): AbortSignal {
    const controller = new AbortController();
    this.controllers.set(taskId, controller);
    return controller.signal;
  }

  delete(taskId: string): void {
    this.controllers.delete(taskId);
  }

  cancel(taskId: string): void {
    this.controllers.get(taskId)?.abort(new TaskAbort('cancelled', 'task cancelled'));
  }

  /** Stops every task so that it is handed back to the scheduler. */
  handBackAll(): void {
    for (const controller of this.controllers.values())
      controller.abort(new TaskAbort('shutdown', 'worker shutting down'));
  }
}
