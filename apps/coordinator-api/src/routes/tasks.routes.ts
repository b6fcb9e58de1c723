import {
  isId,
  QUEUE,
  TorkError,
  type Broker,
  type Datastore,
  type SecretPolicy,
  type Task,
} from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import {
  LogQuerySchema,
  refs,
  TaskIdParamsSchema,
  type LogPage,
  type LogQueryString,
  type Status,
  type TaskView,
} from '../schemas.js';
import { toLogPage, toTaskView } from '../views.js';

export interface TasksRoutesOptions {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly secretPolicy?: SecretPolicy;
}

const DEFAULT_LOG_PAGE_SIZE = 25;

const getSchema: FastifySchema = {
  summary: 'Get a task execution',
  tags: ['tasks'],
  params: TaskIdParamsSchema,
  response: { 200: refs.task, 404: refs.error('No task has this id.') },
};

const cancelSchema: FastifySchema = {
  summary: 'Cancel a running task',
  description: 'Stops the task and removes its container; the task and its job become CANCELLED.',
  tags: ['tasks'],
  params: TaskIdParamsSchema,
  response: {
    200: refs.status,
    400: refs.error('The task is not running.'),
    404: refs.error('No task has this id.'),
  },
};

const logSchema: FastifySchema = {
  summary: "Get a task's output",
  description:
    'Standard output and error of the task and its pre and post tasks, oldest first, secrets masked.',
  tags: ['tasks'],
  params: TaskIdParamsSchema,
  querystring: LogQuerySchema,
  response: {
    200: refs.logPage,
    400: refs.error('Invalid page or size.'),
    404: refs.error('No task has this id.'),
  },
};

/** GET /task(s)/{id}, PUT /task(s)/{id}/cancel, GET /task(s)/{id}/log. */
export function tasksRoutes(app: FastifyInstance, options: TasksRoutesOptions): Promise<void> {
  const { datastore, broker } = options;

  const findTask = async (id: string): Promise<Task> => {
    const task = isId(id) ? await datastore.getTask(id) : undefined;
    if (task === undefined) throw TorkError.notFound('task', id);
    return task;
  };

  for (const base of ['/task', '/tasks']) {
    app.get<{ Params: { id: string } }>(
      `${base}/:id`,
      { schema: getSchema },
      async (request): Promise<TaskView> => {
        return toTaskView(await findTask(request.params.id), options.secretPolicy);
      },
    );

    app.put<{ Params: { id: string } }>(
      `${base}/:id/cancel`,
      { schema: cancelSchema },
      async (request): Promise<Status> => {
        const task = await findTask(request.params.id);
        if (task.state !== 'RUNNING') throw new TorkError('INVALID_STATE', 'task is not running');
        // Cancelling a task cancels its job: the scheduler stops the container and starts nothing after it.
        await broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: task.jobId });
        return { status: 'OK' };
      },
    );

    app.get<{ Params: { id: string }; Querystring: LogQueryString }>(
      `${base}/:id/log`,
      { schema: logSchema },
      async (request): Promise<LogPage> => {
        const task = await findTask(request.params.id);
        const page = await datastore.getLogs(task.id, {
          page: request.query.page ?? 1,
          size: request.query.size ?? DEFAULT_LOG_PAGE_SIZE,
        });
        return toLogPage(task, page, options.secretPolicy);
      },
    );
  }
  return Promise.resolve();
}
