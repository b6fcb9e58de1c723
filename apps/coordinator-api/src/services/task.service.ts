import {
  isId,
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
import { visibleJob } from './access.js';

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
    if (task === undefined) throw TorkError.notFound('task', id);
    try {
      await visibleJob(this.deps.datastore, principal, task.jobId);
    } catch (error) {
      if (error instanceof TorkError && error.code === 'NOT_FOUND') throw TorkError.notFound('task', id);
      throw error;
    }
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
