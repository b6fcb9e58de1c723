import { secondsBetween, type Metrics, type Task } from '@tork/domain';

/**
 * Records a task change the datastore applied: the transition, and, for a task that runs a
 * container, its wait (creation, or the time a retry waited for, to its start) and its run time.
 */
export function recordTaskChange(metrics: Metrics, task: Task): void {
  metrics.taskTransition(task.state, task.queue);
  if (task.kind !== 'task') return;
  if (task.state === 'RUNNING') {
    const waited = secondsBetween(task.runAt ?? task.createdAt, task.startedAt);
    if (waited !== undefined) metrics.observeSubmitToRunning(task.queue, waited);
    return;
  }
  const endedAt = task.completedAt ?? task.failedAt ?? task.cancelledAt;
  const ran = secondsBetween(task.startedAt, endedAt);
  if (ran !== undefined) metrics.observeTaskRunTime(task.queue, task.state, ran);
}

/** A task whose start its worker reported with its end: its RUNNING transition, before the end's. */
export function recordStartWithEnd(metrics: Metrics, ended: Task): void {
  if (ended.startedAt !== undefined) recordTaskChange(metrics, { ...ended, state: 'RUNNING' });
}
