import { isRuntimeError, type ContainerOutcome, type Failure } from '@tork/domain';
import { TaskAbort } from './task-abort.js';

/** How a task ended badly: its container exited non-zero, or running it threw. */
export type TaskEnding = { readonly outcome: ContainerOutcome } | { readonly error: unknown };

/**
 * The one place that says what kind of failure a task had, which decides what happens next (a
 * retry, none for `rejected`, a hand-back for `runtime`, another worker for `worker-lost`).
 * A runtime throwing something else than a RuntimeError broke its contract: that is the runtime's
 * fault, not the task's, so it counts as `runtime` too.
 */
export function failureOf(ending: TaskEnding): Failure {
  if ('outcome' in ending)
    return ending.outcome.oomKilled
      ? { kind: 'oom', exitCode: ending.outcome.exitCode }
      : { kind: 'exit', exitCode: ending.outcome.exitCode };
  const { error } = ending;
  if (error instanceof TaskAbort) {
    switch (error.kind) {
      case 'timeout':
        return { kind: 'timeout' };
      case 'cancelled':
        return { kind: 'cancelled' };
      case 'shutdown':
        return { kind: 'worker-lost' };
      case 'rejected':
        return { kind: 'rejected' };
    }
  }
  if (isRuntimeError(error)) return { kind: error.kind };
  return { kind: 'runtime' };
}
