import { Type, type Static, type TSchema } from '@sinclair/typebox';

/*
 * What the resources' schemas are built from, and the shapes every resource shares: the error body,
 * `Status` and the paging query.
 */

/** A reference to a shared schema (registered with `addSchema`), typed as the schema itself. */
export function ref<T extends TSchema>(schema: T, description?: string) {
  if (schema.$id === undefined) throw new TypeError('only a schema with an $id can be referenced');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id, description === undefined ? {} : { description }));
}

export const timestamp = (description: string) => Type.String({ description: `${description} (ISO 8601).` });
export const optionalTimestamp = (description: string) => Type.Optional(timestamp(description));

export const stamps = {
  createdAt: timestamp('When it was created'),
  scheduledAt: optionalTimestamp('When it was scheduled'),
  startedAt: optionalTimestamp('When it started running'),
  completedAt: optionalTimestamp('When it completed'),
  failedAt: optionalTimestamp('When it failed'),
  cancelledAt: optionalTimestamp('When it was cancelled'),
};

export const ProblemSchema = Type.Object({
  path: Type.String({ description: 'Where the problem is, e.g. `tasks[0].image`.' }),
  message: Type.String({ description: 'What is wrong, e.g. `required`.' }),
});

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'What went wrong, for people.' }),
    problems: Type.Optional(
      Type.Array(ProblemSchema, { description: 'Every problem with the input, by field path.' }),
    ),
    id: Type.Optional(Type.String({ description: 'The job it concerns: a `wait` that timed out.' })),
  },
  { $id: 'Error' },
);

export const StatusSchema = Type.Object({ status: Type.Literal('OK') }, { $id: 'Status' });

export const PageQuerySchema = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'The page number, from 1.' })),
  size: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Items per page, 1 to 100.' }),
  ),
});

export type ErrorBody = Static<typeof ErrorSchema>;
export type Status = Static<typeof StatusSchema>;
export type PageQueryString = Static<typeof PageQuerySchema>;
