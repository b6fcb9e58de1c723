import { Type, type Static } from '@sinclair/typebox';
import { PRINCIPAL_NAME_PATTERN, ROLES, type Role } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { refs } from '../schemas/shared-schemas.js';
import type { CredentialService } from '../services/credential.service.js';

export const MIN_PASSWORD_LENGTH = 8;

const NewUserSchema = Type.Object(
  {
    username: Type.String({
      pattern: PRINCIPAL_NAME_PATTERN.source,
      description: 'Unique among users and keys; job permissions name it as a `user`.',
    }),
    password: Type.String({
      minLength: MIN_PASSWORD_LENGTH,
      maxLength: 1024,
      description: 'At least 8 characters.',
    }),
    name: Type.Optional(Type.String({ maxLength: 256, description: 'A display name.' })),
    role: Type.Optional(
      Type.Unsafe<Role>({
        type: 'string',
        enum: [...ROLES],
        default: 'user',
        description: 'Default `user`.',
      }),
    ),
  },
  { additionalProperties: false },
);

const UserSchema = Type.Object({
  username: Type.String(),
  name: Type.Optional(Type.String()),
  role: Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] }),
  createdAt: Type.String({ description: 'When it was created (ISO 8601).' }),
});

const createSchema: FastifySchema = {
  summary: 'Create a user (admin only)',
  description: 'The user signs in with HTTP basic auth. Only a hash of the password is stored.',
  tags: ['credentials'],
  body: NewUserSchema,
  response: {
    201: UserSchema,
    400: refs.error('Invalid username, password or role.'),
    403: refs.error('The caller is not an admin.'),
    409: refs.error('A user or key has this name.'),
  },
};

/** POST /users. */
export function usersRoutes(
  app: FastifyInstance,
  options: { readonly credentials: CredentialService },
): Promise<void> {
  app.post<{ Body: Static<typeof NewUserSchema> }>(
    '/users',
    { schema: createSchema },
    async (request, reply) => {
      const { username, password, name, role } = request.body;
      const user = await options.credentials.createUser(request.principal, {
        username,
        password,
        role: role ?? 'user',
        ...(name === undefined ? {} : { name }),
      });
      return reply.status(201).send(user);
    },
  );
  return Promise.resolve();
}
