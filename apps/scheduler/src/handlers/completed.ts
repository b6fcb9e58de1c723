import {
  afterTaskCompleted,
  jobChange,
  newTask,
  taskChange,
  type Task,
  type TaskCompleted,
} from '@tork/domain';
import type { SchedulerContext } from '../scheduler-context.js';
import { scheduleIfPending } from './pending.js';

/** Handles the `completed` queue: the task is COMPLETED, then the next task starts or the job completes. */
export async function handleCompleted(ctx: SchedulerContext, message: TaskCompleted): Promise<void> {
  const completed = await ctx.datastore.updateTask(
    message.taskId,
    taskChange('complete', message.at, {
      result: message.result,
      nodeId: message.nodeId,
      ...(message.steps === undefined ? {} : { steps: message.steps }),
      ...(message.startedAt === undefined ? {} : { startedAt: message.startedAt }),
    }),
  );
  const task = completed ?? (await ctx.datastore.getTask(message.taskId));
  // A duplicate of a completion already applied still advances the job: every step below is
  // idempotent, so a redelivery after a crash finishes what the first delivery began.
  if (task?.state !== 'COMPLETED') return;
  await advanceJob(ctx, task);
}

async function advanceJob(ctx: SchedulerContext, task: Task): Promise<void> {
  let job = await ctx.datastore.getJob(task.jobId);
  if (job === undefined) return;
  if (job.state === 'SCHEDULED') {
    // The completion overtook its start message: the job started when the task did.
    job = (await ctx.datastore.updateJob(job.id, jobChange('start', task.startedAt ?? ctx.now()))) ?? job;
  }
  const next = afterTaskCompleted(job, task);
  switch (next.kind) {
    case 'next': {
      const nextTask = await ctx.datastore.createTask(newTask(job, next.position, 1, ctx.now()));
      const moved = await ctx.datastore.updateJob(job.id, {
        from: ['SCHEDULED', 'RUNNING'],
        patch: { position: next.position },
      });
      if (moved === undefined) {
        // The job ended meanwhile (cancelled): the next task never runs.
        await ctx.datastore.updateTask(nextTask.id, taskChange('cancel', ctx.now()));
        return;
      }
      await scheduleIfPending(ctx, nextTask);
      return;
    }
    case 'complete':
      await ctx.datastore.updateJob(
        job.id,
        jobChange('complete', ctx.now(), next.result === undefined ? {} : { result: next.result }),
      );
      return;
  }
}
