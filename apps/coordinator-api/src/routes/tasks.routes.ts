import { secretValues, type SecretPolicy } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { Status } from '../schemas/common.schemas.js';
import { LogQuerySchema, type LogPage, type LogQueryString } from '../schemas/logs.schemas.js';
import { refs } from '../schemas/shared-schemas.js';
import { TaskIdParamsSchema, type TaskView } from '../schemas/tasks.schemas.js';
import type { TaskService } from '../services/task.service.js';
import type { StreamService } from '../streams/stream.service.js';
import { jobSecrets, toLogPage, toTaskView } from '../views.js';

export interface TasksRoutesOptions {
  readonly tasks: TaskService;
  /** Which env values views redact. */
  readonly secretPolicy: SecretPolicy;
  /** Serves `?follow=true` on the log route. */
  readonly streams: StreamService;
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
  const { tasks, secretPolicy } = options;

  for (const base of ['/task', '/tasks']) {
    app.get<{ Params: { id: string } }>(
      `${base}/:id`,
      { schema: getSchema },
      async (request): Promise<TaskView> => {
        const { task, job } = await tasks.get(request.principal, request.params.id);
        return toTaskView(task, secretPolicy, { jobSecrets: jobSecrets(job, secretPolicy) });
      },
    );

    app.put<{ Params: { id: string } }>(
      `${base}/:id/cancel`,
      { schema: cancelSchema },
      async (request): Promise<Status> => {
        await tasks.cancel(request.principal, request.params.id);
        return { status: 'OK' };
      },
    );

    app.get<{ Params: { id: string }; Querystring: LogQueryString }>(
      `${base}/:id/log`,
      { schema: logSchema, config: { acceptsStreamToken: true } },
      async (request, reply): Promise<LogPage | undefined> => {
        if (request.query.follow === true) {
          await options.streams.taskLog(request, reply, request.params.id);
          return undefined;
        }
        const { task, job, page } = await tasks.logs(request.principal, request.params.id, {
          page: request.query.page ?? 1,
          size: request.query.size ?? DEFAULT_LOG_PAGE_SIZE,
        });
        return toLogPage(page, [...secretValues(task.spec, secretPolicy), ...jobSecrets(job, secretPolicy)]);
      },
    );
  }
  return Promise.resolve();
}
