import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { refs } from '../schemas/shared-schemas.js';
import type { StreamService } from '../streams/stream.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes a stream token as `?access_token=` (see StreamTokens). */
    acceptsStreamToken?: boolean;
  }
}

export interface StreamsRoutesOptions {
  readonly streams: StreamService;
}

/** What the stream routes take in the query besides their own fields. */
export const StreamQueryFields = {
  access_token: Type.Optional(
    Type.String({ description: 'A token from POST /streams/token (EventSource cannot send headers).' }),
  ),
  lastEventId: Type.Optional(
    Type.String({ description: 'Resume after this id, as the Last-Event-ID header does.' }),
  ),
};

const tokenSchema: FastifySchema = {
  summary: 'Mint a stream token',
  description:
    'A token valid 60 s for the caller, accepted as ?access_token= by the stream routes only (a browser EventSource cannot send an Authorization header).',
  tags: ['streams'],
  response: {
    200: Type.Object({ token: Type.String(), expiresAt: Type.String() }),
    401: refs.error('Not authenticated.'),
  },
};

const eventsSchema: FastifySchema = {
  summary: "Follow a job's state changes (Server-Sent Events)",
  description:
    'event: state with {jobId, taskId?, state, at} and the event sequence as id (resume with Last-Event-ID); event: end when the job ends; a keep-alive comment every 15 s.',
  tags: ['jobs', 'streams'],
  params: Type.Object({ id: Type.String() }),
  querystring: Type.Object(StreamQueryFields, { additionalProperties: false }),
  response: { 404: refs.error('No job has this id.'), 503: refs.error('Too many open streams.') },
};

/** POST /streams/token and GET /jobs/{id}/events; the log follow routes live beside their paged forms. */
export function streamsRoutes(app: FastifyInstance, options: StreamsRoutesOptions): Promise<void> {
  const { streams } = options;
  app.addHook('preClose', (done) => {
    streams.endAll();
    done();
  });
  app.post('/streams/token', { schema: tokenSchema }, (request) =>
    Promise.resolve(streams.mintToken(request.principal)),
  );
  app.get<{ Params: { id: string } }>(
    '/jobs/:id/events',
    { schema: eventsSchema, config: { acceptsStreamToken: true } },
    async (request, reply) => {
      await streams.jobEvents(request, reply, request.params.id);
    },
  );
  return Promise.resolve();
}
