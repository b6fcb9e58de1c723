import {
  isId,
  isJobVisibleTo,
  QUEUE,
  TorkError,
  type Broker,
  type Datastore,
  type Job,
  type Page,
  type PageQuery,
  type Principal,
  type Task,
  type TaskLogEntry,
} from '@tork/domain';

export interface TaskServiceDeps {
  readonly datastore: Datastore;
  readonly broker: Broker;
}

/** Task executions as a caller sees them: a task is visible when its job is. */
export class TaskService {
  constructor(private readonly deps: TaskServiceDeps) {}

  /** The task and its job; 404 when it does not exist or the caller may not see its job. */
  async get(principal: Principal, id: string): Promise<{ task: Task; job: Job }> {
    const task = isId(id) ? await this.deps.datastore.tasks.get(id) : undefined;
    const job = task === undefined ? undefined : await this.deps.datastore.jobs.get(task.jobId);
    if (task === undefined || job === undefined || !isJobVisibleTo(job, principal))
      throw TorkError.notFound('task', id);
    return { task, job };
  }

  /** Cancelling a task cancels its job: the scheduler stops the container and starts nothing after it. */
  async cancel(principal: Principal, id: string): Promise<void> {
    const { task } = await this.get(principal, id);
    if (task.state !== 'RUNNING') throw new TorkError('INVALID_STATE', 'task is not running');
    await this.deps.broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: task.jobId });
  }

  async logs(
    principal: Principal,
    id: string,
    query: PageQuery,
  ): Promise<{ task: Task; job: Job; page: Page<TaskLogEntry> }> {
    const { task, job } = await this.get(principal, id);
    return { task, job, page: await this.deps.datastore.logs.byTask(task.id, query) };
  }
}
