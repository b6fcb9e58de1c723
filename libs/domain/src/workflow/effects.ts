import type { Job, JobContext } from '../job.js';
import type { Message } from '../messages.js';
import type { Task } from '../task.js';
import type { JobChange, TaskChange } from '../transitions.js';

/**
 * What the workflow reducer asks for, in order. The scheduler carries effects out as they come:
 * it persists with compare-and-set, publishes, and handles the events they lead to. A change that
 * did not apply (a duplicate, a late message, a race lost to another scheduler) stops the rest of
 * the plan unless the effect says what to do instead.
 */
export type Effect =
  /**
   * Stores new executions (one exists per parent or job, index and attempt, so a redelivery finds
   * the same), then hands on each stored one as its state says: a PENDING task (or a RUNNING
   * composite, whose fan-out a redelivery resumes) is dispatched in this process (given the job and
   * context: its creator saw the job active) or through the `pending` queue (`queue`); a FAILED one
   * (its expressions did not evaluate) fails on. Tasks may come from a generator: they are stored in batches.
   */
  | {
      readonly type: 'createTasks';
      readonly tasks: Iterable<Task>;
      readonly dispatch: 'queue' | { readonly job: Job; readonly context: JobContext };
    }
  /** Marks a PENDING task SCHEDULED and sends it to its work queue (then records the broker's confirm). */
  | { readonly type: 'scheduleTask'; readonly taskId: string }
  /** Stores a sub-job; an existing one (a redelivery) is fine. */
  | { readonly type: 'createJob'; readonly job: Job }
  | {
      readonly type: 'updateJob';
      readonly jobId: string;
      readonly change: JobChange;
      /** When the change did not apply: go on with the plan, or run these effects instead. */
      readonly onMiss?: 'continue' | readonly Effect[];
    }
  /**
   * Moves the job to RUNNING if it has not got there yet; otherwise nothing (the common case: every
   * task but a job's first). A job past SCHEDULED never returns to it (a restart makes it RUNNING),
   * so the scheduler may skip the compare-and-set for a job it has seen past it.
   */
  | { readonly type: 'markJobRunning'; readonly jobId: string; readonly change: JobChange }
  | {
      readonly type: 'updateTask';
      readonly taskId: string;
      readonly change: TaskChange;
      readonly onMiss?: 'continue' | readonly Effect[];
      /** The change ends a task whose start was reported with its end: its start counts too. */
      readonly includesStart?: true;
    }
  /**
   * Ends a task well (COMPLETED or SKIPPED) with the fan-in: the datastore stores its `var` and
   * counts it in its parent in one atomic step. Then comes the event `task.settled`, with the parent as
   * counted (even when the change had been applied before: the rest is idempotent).
   */
  | {
      readonly type: 'settleTask';
      readonly taskId: string;
      readonly jobId: string;
      readonly change: TaskChange;
      /** As for updateTask: the task's start was reported with its end. */
      readonly includesStart?: true;
    }
  /** Cancels every active task of a job; running containers are stopped and sub-jobs cancelled. */
  | { readonly type: 'cancelTasks'; readonly jobId: string }
  /** Hands a task on through the `pending` queue, or its timer when it waits (`runAt`). */
  | { readonly type: 'dispatchLater'; readonly task: Task }
  | {
      readonly type: 'publish';
      readonly queue: string;
      readonly message: Message;
      readonly priority?: number;
    }
  /** An event handled once this plan is done. */
  | { readonly type: 'then'; readonly event: WorkflowEvent };

/**
 * What moves a job forward. Messages from the queues become these events, and so do the steps
 * the reducer takes after a change it asked for (`then`).
 */
export type WorkflowEvent =
  | { readonly type: 'job.submitted'; readonly jobId: string }
  | { readonly type: 'job.cancel'; readonly jobId: string }
  | { readonly type: 'job.restart'; readonly jobId: string }
  /** The job reached a terminal state: its tasks stop, and a sub-job's parent task follows. */
  | { readonly type: 'job.ended'; readonly jobId: string }
  | { readonly type: 'task.dispatch'; readonly jobId: string; readonly taskId: string }
  /** A task's last change ended it badly (FAILED after its retries, or CANCELLED): its parent or job follows. */
  | { readonly type: 'task.failed'; readonly jobId: string; readonly taskId: string }
  /**
   * A task ended well; `task` is it as changed (absent on a redelivery: it is read), `parent` its
   * parent as the fan-in counted it, `promoted` a sibling given its slot.
   */
  | {
      readonly type: 'task.settled';
      readonly jobId: string;
      readonly taskId: string;
      readonly task?: Task;
      readonly parent?: Task;
      readonly promoted?: Task;
    }
  /** A worker's start did not apply (or its job did not start): the task may run where it should not. */
  | {
      readonly type: 'task.checkStart';
      readonly jobId: string;
      readonly taskId: string;
      readonly nodeId: string;
    }
  /** A composite task of a restarted job resumes: what did not complete runs again. */
  | { readonly type: 'task.restart'; readonly jobId: string; readonly taskId: string };
