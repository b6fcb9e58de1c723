import { Type, type Static } from '@sinclair/typebox';
import { PRINCIPAL_NAME_PATTERN, ROLES, type Role } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { refs } from '../schemas/shared-schemas.js';
import type { CredentialService } from '../services/credential.service.js';

const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

const ApiKeyFields = {
  id: Type.String({ description: 'The key id: 32 lowercase hex digits.' }),
  name: Type.String(),
  role: RoleSchema,
  createdAt: Type.String({ description: 'When it was created (ISO 8601).' }),
};

const NewApiKeySchema = Type.Object(
  {
    name: Type.String({
      pattern: PRINCIPAL_NAME_PATTERN.source,
      description: 'Unique among keys and users; job permissions name it as a `user`.',
    }),
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

const CreatedApiKeySchema = Type.Object({
  ...ApiKeyFields,
  key: Type.String({ description: 'The key, `tork_<id>_<secret>`: shown only in this answer.' }),
});

const ApiKeyIdParamsSchema = Type.Object({ id: Type.String({ description: 'The key id.' }) });

const createSchema: FastifySchema = {
  summary: 'Create an API key (admin only)',
  description: 'Send it as `Authorization: Bearer <key>`. Only a hash of it is stored.',
  tags: ['credentials'],
  body: NewApiKeySchema,
  response: {
    201: CreatedApiKeySchema,
    400: refs.error('Invalid name or role.'),
    403: refs.error('The caller is not an admin.'),
    409: refs.error('A key or user has this name.'),
  },
};

const listSchema: FastifySchema = {
  summary: 'List API keys (admin only)',
  tags: ['credentials'],
  response: { 200: Type.Array(Type.Object(ApiKeyFields)), 403: refs.error('The caller is not an admin.') },
};

const deleteSchema: FastifySchema = {
  summary: 'Revoke an API key (admin only)',
  tags: ['credentials'],
  params: ApiKeyIdParamsSchema,
  response: {
    204: Type.Null({ description: 'Revoked.' }),
    403: refs.error('The caller is not an admin.'),
    404: refs.error('No key has this id.'),
  },
};

/** POST /api-keys, GET /api-keys, DELETE /api-keys/{id}. */
export function apiKeysRoutes(
  app: FastifyInstance,
  options: { readonly credentials: CredentialService },
): Promise<void> {
  const { credentials } = options;

  app.post<{ Body: Static<typeof NewApiKeySchema> }>(
    '/api-keys',
    { schema: createSchema },
    async (request, reply) => {
      const created = await credentials.createApiKey(request.principal, {
        name: request.body.name,
        role: request.body.role ?? 'user',
      });
      return reply.status(201).send(created);
    },
  );

  app.get('/api-keys', { schema: listSchema }, (request) => credentials.listApiKeys(request.principal));

  app.delete<{ Params: Static<typeof ApiKeyIdParamsSchema> }>(
    '/api-keys/:id',
    { schema: deleteSchema },
    async (request, reply) => {
      await credentials.revokeApiKey(request.principal, request.params.id);
      return reply.status(204).send();
    },
  );
  return Promise.resolve();
}
