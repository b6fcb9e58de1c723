import { isJobActive, QUEUE, taskChange, type Task, type TaskPending } from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';

/**
 * Handles the `pending` queue: a task is marked SCHEDULED and routed to its work queue. A retry
 * whose `runAt` is still ahead (its message came early) stays PENDING and waits again.
 */
export async function handlePending(ctx: SchedulerContext, message: TaskPending): Promise<void> {
  const [job, task] = await Promise.all([
    ctx.datastore.getJob(message.jobId),
    ctx.datastore.getTask(message.taskId),
  ]);
  if (job === undefined || !isJobActive(job.state)) {
    // The job ended (cancelled or failed) while this task waited: it never runs.
    await ctx.datastore.updateTask(message.taskId, taskChange('cancel', ctx.now()));
    return;
  }
  if (task?.runAt !== undefined && Date.parse(task.runAt) > Date.parse(ctx.now())) {
    ctx.retryTimers.schedule(task);
    return;
  }
  await scheduleTask(ctx, message.taskId);
}

/** Marks a PENDING task SCHEDULED (compare-and-set) and sends it to its work queue. */
async function scheduleTask(ctx: SchedulerContext, taskId: string): Promise<void> {
  const task = await ctx.datastore.updateTask(taskId, taskChange('schedule', ctx.now()));
  if (task === undefined) return; // already scheduled by an earlier delivery, or no longer pending
  await sendTask(ctx, task);
}

/**
 * Sends a SCHEDULED task to its work queue, then records that the broker confirmed it. Should
 * this process stop in between, the task stays SCHEDULED without `publishedAt`, and the sweeper
 * sends it (sweeper.ts): marking first and sending second can strand a task, never run it twice
 * unless the stop falls between the confirm and the record.
 */
export async function sendTask(ctx: SchedulerContext, task: Task): Promise<void> {
  await ctx.broker.publish(task.queue, {
    type: 'task.run',
    task: { id: task.id, jobId: task.jobId, attempt: task.attempt, queue: task.queue, spec: task.spec },
  });
  await ctx.datastore.markTaskPublished(task.id, ctx.now());
}

/**
 * Schedules a task the caller just created for a job it has just seen active (its own
 * compare-and-set on the job succeeded): the `pending` hop would only check that again, at the
 * cost of a message and a read. A cancel that comes in between finds the task as it would after
 * the hop, and the worker's start is refused.
 */
export async function scheduleIfPending(ctx: SchedulerContext, task: Task): Promise<void> {
  if (task.state !== 'PENDING') return;
  await scheduleTask(ctx, task.id);
}

/** Sends a task to `pending` unless an earlier delivery already moved it on. */
export async function enqueueIfPending(ctx: SchedulerContext, task: Task): Promise<void> {
  if (task.state !== 'PENDING') return;
  await ctx.broker.publish(QUEUE.pending, { type: 'task.pending', jobId: task.jobId, taskId: task.id });
}
