import {
  isId,
  isJobVisibleTo,
  QUEUE,
  TorkError,
  type Broker,
  type Datastore,
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

  /** The task; 404 when it does not exist or the caller may not see its job. */
  async get(principal: Principal, id: string): Promise<Task> {
    const task = isId(id) ? await this.deps.datastore.getTask(id) : undefined;
    const job = task === undefined ? undefined : await this.deps.datastore.getJob(task.jobId);
    if (task === undefined || job === undefined || !isJobVisibleTo(job, principal))
      throw TorkError.notFound('task', id);
    return task;
  }

  /** Cancelling a task cancels its job: the scheduler stops the container and starts nothing after it. */
  async cancel(principal: Principal, id: string): Promise<void> {
    const task = await this.get(principal, id);
    if (task.state !== 'RUNNING') throw new TorkError('INVALID_STATE', 'task is not running');
    await this.deps.broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: task.jobId });
  }

  async logs(
    principal: Principal,
    id: string,
    query: PageQuery,
  ): Promise<{ task: Task; page: Page<TaskLogEntry> }> {
    const task = await this.get(principal, id);
    return { task, page: await this.deps.datastore.getLogs(task.id, query) };
  }
}
