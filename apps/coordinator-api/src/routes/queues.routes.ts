import { Type, type Static } from '@sinclair/typebox';
import type { QueueInfo } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { refs } from '../schemas/shared-schemas.js';
import type { PurgeOutcome, QueueService } from '../services/queue.service.js';

export const QueueInfoSchema = Type.Object(
  {
    name: Type.String(),
    size: Type.Integer({ description: 'Messages waiting to be delivered.' }),
    subscribers: Type.Integer({ description: 'Consumers attached.' }),
    unacked: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'Delivered and not yet acknowledged; null when RabbitMQ runs without `-rabbitmq-management-url`.',
    }),
  },
  { $id: 'QueueInfo' },
);

const PurgeOutcomeSchema = Type.Object({
  name: Type.String(),
  purged: Type.Integer({ description: 'Messages dropped from the queue.' }),
  failedTasks: Type.Array(Type.String(), {
    description: 'Tasks that waited in the queue: they fail with "the queue <name> was purged by <user>".',
  }),
});

const QueueNameParamsSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255, description: 'The queue name.' }),
});

type QueueNameParams = Static<typeof QueueNameParamsSchema>;

const listSchema: FastifySchema = {
  summary: 'List the queues',
  description:
    "With RabbitMQ and `-rabbitmq-management-url`: every queue of the vhost. Without it: the engine's own queues, `default` and the queues workers consume.",
  tags: ['queues'],
  response: { 200: Type.Array(Type.Ref('QueueInfo')) },
};

const getSchema: FastifySchema = {
  summary: 'Get a queue',
  tags: ['queues'],
  params: QueueNameParamsSchema,
  response: { 200: Type.Ref('QueueInfo'), 404: refs.error('No queue has this name.') },
};

const purgeSchema: FastifySchema = {
  summary: 'Purge a work queue (admin only)',
  description:
    'Drops the messages waiting in the queue; the tasks among them fail. Messages a worker already holds stay.',
  tags: ['queues'],
  params: QueueNameParamsSchema,
  response: {
    200: PurgeOutcomeSchema,
    400: refs.error("The queue is one of the engine's own."),
    403: refs.error('The caller is not an admin.'),
    404: refs.error('No queue has this name.'),
  },
};

/** GET /queues, GET /queues/{name}, DELETE /queues/{name}. */
export function queuesRoutes(
  app: FastifyInstance,
  options: { readonly queues: QueueService },
): Promise<void> {
  const { queues } = options;
  app.get('/queues', { schema: listSchema }, (): Promise<QueueInfo[]> => queues.list());
  app.get<{ Params: QueueNameParams }>(
    '/queues/:name',
    { schema: getSchema },
    (request): Promise<QueueInfo> => queues.get(request.params.name),
  );
  app.delete<{ Params: QueueNameParams }>(
    '/queues/:name',
    { schema: purgeSchema },
    (request): Promise<PurgeOutcome> => queues.purge(request.principal, request.params.name),
  );
  return Promise.resolve();
}
