import { Type, type Static } from '@sinclair/typebox';
import { timestamp } from './common.schemas.js';

export const LogPageSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        taskId: Type.String({ description: 'The task execution that wrote it.' }),
        number: Type.Integer({ description: 'Order of the entry in the task output, from 1.' }),
        stream: Type.Unsafe<'stdout' | 'stderr'>({ type: 'string', enum: ['stdout', 'stderr'] }),
        text: Type.String({ description: 'The output, secrets masked.' }),
        at: timestamp('When the output was produced'),
        id: Type.String({ description: "`<taskId>:<number>`, unique per entry (Tork's `id`)." }),
        contents: Type.String({ description: "Tork's name for `text`." }),
        createdAt: timestamp("Tork's name for `at`"),
      }),
      { description: 'Oldest first.' },
    ),
    number: Type.Integer(),
    size: Type.Integer(),
    totalPages: Type.Integer(),
    totalItems: Type.Integer(),
  },
  { $id: 'LogPage' },
);

export const LogQuerySchema = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'The page number, from 1.' })),
  size: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 25, description: 'Entries per page, 1 to 100.' }),
  ),
  follow: Type.Optional(
    Type.Boolean({
      description:
        'Stream the log as Server-Sent Events instead of a page: event: log per entry (id: its number; resume with Last-Event-ID), event: end when it ends.',
    }),
  ),
  access_token: Type.Optional(Type.String({ description: 'With follow: a token from POST /streams/token.' })),
  lastEventId: Type.Optional(Type.String({ description: 'With follow: resume after this id.' })),
});

export type LogPage = Static<typeof LogPageSchema>;
export type LogQueryString = Static<typeof LogQuerySchema>;
