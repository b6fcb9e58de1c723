import {
  dispatchPromoted,
  dispatchTask,
  errorMessage,
  isTorkError,
  QUEUE,
  reduce,
  startCheckNeedsJob,
  taskChange,
  workerQueue,
  type Effect,
  type Job,
  type JobContext,
  type ReducerInput,
  type Task,
  type WorkflowEvent,
} from '@tork/domain';
import type { SchedulerContext } from './scheduler-context.js';
import { forEachConcurrently } from './for-each-concurrently.js';
import { JobSecrets } from './job-secrets.js';
import { recordStartWithEnd, recordTaskChange } from './transition-metrics.js';
import { noticeStates } from './stream-notices.js';

/** Tasks stored per insert when an each or parallel task creates its children. */
const CREATE_CHUNK = 1_000;
/** Children handed on at once within one fan-out; group commit batches their statements. */
const DISPATCH_CONCURRENCY = 64;
/** A plan whose events keep leading to more is a bug, not a workflow: it stops with an error. */
const MAX_STEPS = 10_000;
/** Jobs this process remembers as past SCHEDULED (see `markJobRunning`). */
const RUNNING_REMEMBERED = 10_000;

/**
 * Carries out what the workflow reducer decides: loads the records an event concerns, asks the
 * reducer, and applies its effects in order (compare-and-set changes, creations, publishes), then
 * handles the events they lead to. Nothing here decides a state.
 */
export class WorkflowRunner {
  /** Jobs' secrets in clear, for the tasks this process evaluates. */
  private readonly secrets: JobSecrets;
  /** Jobs seen past SCHEDULED: they never return to it, so starting them again is skipped. */
  private readonly running = new Set<string>();

  constructor(private readonly ctx: SchedulerContext) {
    this.secrets = new JobSecrets(ctx.keyring);
  }

  /** Handles an event, and every event it leads to. */
  handle(event: WorkflowEvent): Promise<void> {
    return this.run([{ type: 'then', event }]);
  }

  /** Applies effects, then handles the events they lead to, until there are none. */
  async run(effects: readonly Effect[]): Promise<void> {
    const events: WorkflowEvent[] = [];
    const touched = new Set<string>();
    try {
      await this.apply(effects, events, touched);
      for (let steps = 0; events.length > 0; steps++) {
        if (steps >= MAX_STEPS) throw new Error(`a workflow step led to more than ${MAX_STEPS} steps`);
        const event = events.shift() as WorkflowEvent;
        touched.add(event.jobId);
        const input = await this.load(event);
        if (input !== undefined) await this.apply(reduce(input, this.ctx.now()), events, touched);
      }
    } finally {
      // Even a plan that failed half way may have changed states that streams should show.
      await noticeStates(this.ctx, touched);
    }
  }

  /** The records the reducer needs for an event; undefined when they are gone (nothing to do). */
  private async load(event: WorkflowEvent): Promise<ReducerInput | undefined> {
    const { jobs, tasks } = this.ctx.datastore;
    switch (event.type) {
      case 'job.submitted': {
        const job = await jobs.get(event.jobId);
        if (job === undefined) {
          this.ctx.logger.warn({ jobId: event.jobId }, 'submitted job not found; dropping the message');
          return undefined;
        }
        // No task of a job that starts has run: its context has no vars yet, and nothing is read.
        return { type: event.type, job, context: this.contextWith(job, NO_VARS) };
      }
      case 'job.cancel': {
        const job = await jobs.get(event.jobId);
        return job === undefined ? undefined : { type: event.type, job };
      }
      case 'job.restart': {
        const job = await jobs.get(event.jobId);
        if (job === undefined) return undefined;
        const [topLevel, context] = await Promise.all([
          tasks.list(job.id, { parentId: null }),
          this.context(job),
        ]);
        return { type: event.type, job, tasks: topLevel, context };
      }
      case 'job.ended': {
        const job = await jobs.get(event.jobId);
        if (job === undefined) return undefined;
        const parentTask = job.parentId === undefined ? undefined : await tasks.get(job.parentId);
        return { type: event.type, job, ...(parentTask === undefined ? {} : { parentTask }) };
      }
      case 'task.dispatch': {
        const [job, task] = await Promise.all([jobs.get(event.jobId), tasks.get(event.taskId)]);
        if (job === undefined || task === undefined) return undefined;
        // Only a composite task reads the context here: a regular one was evaluated when created.
        const context = task.kind === 'task' ? EMPTY_CONTEXT : await this.context(job);
        return { type: event.type, job, task, context };
      }
      case 'task.failed': {
        const [job, task] = await Promise.all([jobs.get(event.jobId), tasks.get(event.taskId)]);
        return job === undefined || task === undefined ? undefined : { type: event.type, job, task };
      }
      case 'task.settled': {
        const task = event.task ?? (await tasks.get(event.taskId));
        if (task === undefined) return undefined;
        const { promoted } = event;
        // The next item of an each, most often: a regular task goes on without its job being read.
        if (promoted?.kind === 'task') await this.applyAll(dispatchPromoted(promoted, this.ctx.now()));
        if (promoted !== undefined && promoted.kind !== 'task') {
          const job = await jobs.get(event.jobId);
          if (job !== undefined) await this.dispatch(job, promoted, await this.context(job));
        }
        if (task.parentId !== undefined) {
          const parent = event.parent ?? (await tasks.get(task.parentId));
          return { type: 'child.settled', task, ...(parent === undefined ? {} : { parent }) };
        }
        const job = await jobs.get(event.jobId);
        if (job === undefined) return undefined;
        // The context is read only for what needs it: a next task's expressions, or the job's output.
        const needsContext = task.index + 1 < job.tasks.length || job.output !== undefined;
        return {
          type: event.type,
          job,
          task,
          context: needsContext ? await this.context(job) : EMPTY_CONTEXT,
        };
      }
      case 'task.checkStart': {
        const task = await tasks.get(event.taskId);
        const job = startCheckNeedsJob(task, event.nodeId) ? await jobs.get(event.jobId) : undefined;
        return {
          type: event.type,
          nodeId: event.nodeId,
          ...(job === undefined ? {} : { job }),
          ...(task === undefined ? {} : { task }),
        };
      }
      case 'task.restart': {
        const [job, task] = await Promise.all([jobs.get(event.jobId), tasks.get(event.taskId)]);
        if (job === undefined || task === undefined) return undefined;
        const [children, context] = await Promise.all([
          tasks.list(job.id, { parentId: task.id }),
          this.context(job),
        ]);
        return { type: event.type, job, task, children, context };
      }
    }
  }

  /** What a job's expressions read: its inputs, its secrets in clear, and its tasks' vars. */
  private async context(job: Job): Promise<JobContext> {
    return this.contextWith(job, await this.ctx.datastore.jobs.vars(job.id));
  }

  private contextWith(job: Job, vars: Readonly<Record<string, string>>): JobContext {
    return { inputs: job.inputs ?? {}, secrets: this.secrets.inClear(job), tasks: vars };
  }

  private async apply(
    effects: readonly Effect[],
    events: WorkflowEvent[],
    touched: Set<string>,
  ): Promise<void> {
    const { datastore, broker } = this.ctx;
    for (const effect of effects) {
      if ('jobId' in effect) touched.add(effect.jobId);
      switch (effect.type) {
        case 'createTasks':
          await this.createTasks(effect, events, touched);
          break;
        case 'createJob':
          try {
            await datastore.jobs.create(this.secrets.sealJob(effect.job));
          } catch (error) {
            // A redelivery: the job was created the first time.
            if (!isTorkError(error) || error.code !== 'CONFLICT') throw error;
          }
          break;
        case 'updateJob': {
          const applied = await datastore.jobs.update(effect.jobId, effect.change);
          const { state, startedAt } = effect.change.patch;
          // A job that ends with its start time given started in this very change (see endJob).
          if (applied && state !== undefined && state !== 'RUNNING' && startedAt !== undefined)
            this.ctx.metrics.jobTransition('RUNNING');
          if (applied && state !== undefined) this.ctx.metrics.jobTransition(state);
          if (!applied && effect.onMiss !== 'continue') {
            if (effect.onMiss !== undefined) await this.apply(effect.onMiss, events, touched);
            return;
          }
          break;
        }
        case 'markJobRunning':
          if (this.running.has(effect.jobId)) break;
          // Applied or not, the job is past SCHEDULED now (or gone), and stays so.
          if (await datastore.jobs.update(effect.jobId, effect.change))
            this.ctx.metrics.jobTransition('RUNNING');
          if (this.running.size >= RUNNING_REMEMBERED)
            this.running.delete(this.running.values().next().value ?? '');
          this.running.add(effect.jobId);
          break;
        case 'updateTask': {
          const updated = await datastore.tasks.update(effect.taskId, effect.change);
          if (updated !== undefined && effect.includesStart === true)
            recordStartWithEnd(this.ctx.metrics, updated);
          if (updated !== undefined) recordTaskChange(this.ctx.metrics, updated);
          if (updated !== undefined) touched.add(updated.jobId);
          if (updated === undefined && effect.onMiss !== 'continue') {
            if (effect.onMiss !== undefined) await this.apply(effect.onMiss, events, touched);
            return;
          }
          break;
        }
        case 'settleTask': {
          const settled = await datastore.tasks.settle(effect.taskId, effect.change);
          if (settled.task !== undefined && effect.includesStart === true)
            recordStartWithEnd(this.ctx.metrics, settled.task);
          if (settled.task !== undefined) recordTaskChange(this.ctx.metrics, settled.task);
          if (settled.promoted !== undefined) recordTaskChange(this.ctx.metrics, settled.promoted);
          events.push({
            type: 'task.settled',
            jobId: effect.jobId,
            taskId: effect.taskId,
            ...(settled.task === undefined ? {} : { task: settled.task }),
            ...(settled.parent === undefined ? {} : { parent: settled.parent }),
            ...(settled.promoted === undefined ? {} : { promoted: settled.promoted }),
          });
          break;
        }
        case 'cancelTasks':
          await this.cancelTasks(effect.jobId);
          break;
        case 'scheduleTask':
          await this.schedule(effect.taskId, touched);
          break;
        case 'dispatchLater':
          await this.dispatchLater(effect.task);
          break;
        case 'publish':
          await broker.publish(
            effect.queue,
            effect.message,
            effect.priority === undefined ? undefined : { priority: effect.priority },
          );
          break;
        case 'then':
          events.push(effect.event);
          break;
      }
    }
  }

  /** Stores executions in chunks and hands on each stored one as its state says. */
  private async createTasks(
    effect: Extract<Effect, { type: 'createTasks' }>,
    events: WorkflowEvent[],
    touched: Set<string>,
  ): Promise<void> {
    let chunk: Task[] = [];
    const flush = async (): Promise<void> => {
      const sendNow = new Set<string>();
      const toStore = chunk.map((task) => {
        const sent = this.scheduledAtCreation(effect, task);
        if (sent !== task) sendNow.add(task.id);
        return this.secrets.sealTask(sent);
      });
      let stored = await this.ctx.datastore.tasks.create(toStore);
      chunk = [];
      for (const task of stored) touched.add(task.jobId);
      // Stored SCHEDULED by this very call (a redelivery's are the earlier ones, with their own ids).
      const created = stored.filter((task) => sendNow.has(task.id));
      for (const task of created) recordTaskChange(this.ctx.metrics, task);
      await forEachConcurrently(created, DISPATCH_CONCURRENCY, (task) => this.send(task));
      stored = stored.filter((task) => !sendNow.has(task.id));
      for (const task of stored)
        if (task.state === 'FAILED') events.push({ type: 'task.failed', jobId: task.jobId, taskId: task.id });
      const live = stored.filter(
        (task) => task.state === 'PENDING' || (task.state === 'RUNNING' && task.kind !== 'task'),
      );
      if (effect.dispatch === 'queue') {
        for (const task of live) await this.dispatchLater(task);
        return;
      }
      const { job, context } = effect.dispatch;
      await forEachConcurrently(live, DISPATCH_CONCURRENCY, async (task) => {
        const nested: WorkflowEvent[] = [];
        await this.apply(dispatchTask(job, task, context, this.ctx.now()), nested, touched);
        events.push(...nested);
      });
    };
    for (const task of effect.tasks) {
      chunk.push(task);
      if (chunk.length >= CREATE_CHUNK) await flush();
    }
    if (chunk.length > 0) await flush();
  }

  /**
   * A regular task created to be dispatched at once, which dispatching would only schedule, is
   * stored SCHEDULED in its creation and sent: one statement and one row version fewer than
   * creating it PENDING and scheduling it. Anything else is stored as it is.
   */
  private scheduledAtCreation(effect: Extract<Effect, { type: 'createTasks' }>, task: Task): Task {
    if (effect.dispatch === 'queue' || task.kind !== 'task' || task.state !== 'PENDING') return task;
    const now = this.ctx.now();
    const effects = dispatchTask(effect.dispatch.job, task, effect.dispatch.context, now);
    const [only] = effects;
    if (effects.length !== 1 || only?.type !== 'scheduleTask') return task;
    return { ...task, state: 'SCHEDULED', scheduledAt: now };
  }

  /** A task handed on in this process: the caller loaded its job. */
  private dispatch(job: Job, task: Task, context: JobContext): Promise<void> {
    return this.applyAll(dispatchTask(job, task, context, this.ctx.now()));
  }

  /** Applies effects, then handles the events they lead to, each on its own. */
  private async applyAll(effects: readonly Effect[]): Promise<void> {
    const events: WorkflowEvent[] = [];
    const touched = new Set<string>();
    try {
      await this.apply(effects, events, touched);
    } finally {
      await noticeStates(this.ctx, touched);
    }
    for (const event of events) await this.handle(event);
  }

  /** Through the `pending` queue, or its timer when the task waits for a time of its own. */
  private async dispatchLater(task: Task): Promise<void> {
    if (task.runAt !== undefined && task.runAt > this.ctx.now()) {
      this.ctx.retryTimers.schedule(task);
      return;
    }
    await this.ctx.broker.publish(QUEUE.pending, {
      type: 'task.pending',
      jobId: task.jobId,
      taskId: task.id,
    });
  }

  /** Marks a PENDING task SCHEDULED and sends it to its work queue, then records the broker's confirm. */
  private async schedule(taskId: string, touched: Set<string>): Promise<void> {
    const task = await this.ctx.datastore.tasks.update(taskId, taskChange('schedule', this.ctx.now()));
    // Already scheduled by an earlier delivery, or no longer pending.
    if (task === undefined) return;
    recordTaskChange(this.ctx.metrics, task);
    touched.add(task.jobId);
    await this.send(task);
  }

  /**
   * Sends a SCHEDULED task to its work queue, then records that the broker confirmed it, without
   * waiting: the store may hold the record a moment to send it with others. Should this process
   * stop before it lands, the sweeper sends the task again (a duplicate start is refused).
   */
  async send(task: Task): Promise<void> {
    await this.ctx.broker.publish(
      task.queue,
      {
        type: 'task.run',
        task: {
          id: task.id,
          jobId: task.jobId,
          attempt: task.attempt,
          queue: task.queue,
          spec: task.spec,
          ...(task.masks === undefined ? {} : { masks: [...task.masks] }),
        },
      },
      task.spec.priority === undefined ? undefined : { priority: task.spec.priority },
    );
    this.ctx.datastore.tasks.markPublished(task.id, this.ctx.now()).catch((error: unknown) => {
      this.ctx.logger.warn(
        { jobId: task.jobId, taskId: task.id, err: errorMessage(error) },
        'could not record that a task was sent; the sweeper sends it again',
      );
    });
  }

  /** Cancels what is active of a job: running containers are stopped, sub-jobs cancelled. */
  private async cancelTasks(jobId: string): Promise<void> {
    const cancelled = await this.ctx.datastore.tasks.cancelActive(jobId, this.ctx.now());
    for (const task of cancelled) recordTaskChange(this.ctx.metrics, task);
    await Promise.all(
      cancelled.map(async (task) => {
        try {
          if (task.nodeId !== undefined)
            await this.ctx.broker.publish(workerQueue(task.nodeId), { type: 'task.cancel', taskId: task.id });
          if (task.subjobId !== undefined)
            await this.ctx.broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: task.subjobId });
        } catch (error) {
          // The task is CANCELLED already: a worker that runs it is told when it reports back.
          this.ctx.logger.warn(
            { jobId: task.jobId, taskId: task.id, err: errorMessage(error) },
            'could not pass a cancel on',
          );
        }
      }),
    );
  }
}

const EMPTY_CONTEXT: JobContext = { inputs: {}, secrets: {}, tasks: {} };
const NO_VARS: Readonly<Record<string, string>> = {};
