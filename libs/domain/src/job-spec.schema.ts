import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ROLES, type Permission, type Role } from './principal.js';

/**
 * The job specification a user submits. This schema is the single source for validation
 * (job-spec.ts), the TypeScript types below and the OpenAPI document.
 */

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const EnvSchema = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
  description:
    'Environment variables for the container. Values of keys containing SECRET, PASSWORD or ACCESS_KEY are redacted.',
});

export const RetrySpecSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 0, maximum: 10, description: 'How many times to retry a failed task.' }),
    initialDelay: Type.Optional(
      nullable(Type.String({ description: 'Delay before the first retry, e.g. `5s` (default 1s, max 5m).' })),
    ),
    scalingFactor: Type.Optional(
      nullable(
        Type.Number({ description: 'Multiplier of the delay for each further retry (default 2, max 10).' }),
      ),
    ),
  },
  { additionalProperties: false },
);

export const LimitsSpecSchema = Type.Object(
  {
    cpus: Type.Optional(
      Type.Union([Type.String(), Type.Number()], { description: 'CPUs, e.g. `.5` or `2`.' }),
    ),
    memory: Type.Optional(
      Type.String({ description: 'Memory with a unit suffix b, k, m or g, e.g. `10m`.' }),
    ),
  },
  { additionalProperties: false },
);

export const AuxTaskSpecSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    image: Type.String({ minLength: 1, description: 'The Docker image to run.' }),
    run: Type.Optional(Type.String({ description: 'The script to run with `sh -c`.' })),
    env: Type.Optional(EnvSchema),
    timeout: Type.Optional(Type.String({ description: 'e.g. `300ms`, `45m`, `1h`.' })),
  },
  { additionalProperties: false },
);

export const TaskSpecSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'A human-readable name for the task.' })),
    image: Type.String({ minLength: 1, description: 'The Docker image to execute the task with.' }),
    run: Type.Optional(Type.String({ description: 'The script to run in the container, with `sh -c`.' })),
    env: Type.Optional(EnvSchema),
    queue: Type.Optional(
      Type.String({ minLength: 1, description: 'The queue to route the task to (default `default`).' }),
    ),
    pre: Type.Optional(
      Type.Array(AuxTaskSpecSchema, { description: 'Tasks run before the task, on the same worker.' }),
    ),
    post: Type.Optional(
      Type.Array(AuxTaskSpecSchema, { description: 'Tasks run after the task, on the same worker.' }),
    ),
    volumes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Temporary volumes shared by the task and its pre/post tasks.',
      }),
    ),
    retry: Type.Optional(RetrySpecSchema),
    timeout: Type.Optional(
      Type.String({ description: 'How long the task may run, e.g. `300ms`, `45m`, `1h`.' }),
    ),
    limits: Type.Optional(LimitsSpecSchema),
  },
  { additionalProperties: false },
);

export const PermissionSpecSchema = Type.Object(
  {
    role: Type.Optional(Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] })),
    user: Type.Optional(Type.String({ minLength: 1, description: 'A user or an API key, by name.' })),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description: 'Exactly one of `role` or `user`.',
  },
);

export const JobSpecSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'A human-readable name for the job.' })),
    tasks: Type.Array(TaskSpecSchema, { minItems: 1, description: 'The tasks to execute, in order.' }),
    permissions: Type.Optional(
      Type.Array(PermissionSpecSchema, {
        minItems: 1,
        description: 'Who besides its creator and admins may see and cancel the job (default: everyone).',
      }),
    ),
  },
  { additionalProperties: false, $id: 'JobSpec' },
);

export type EnvSpec = Record<string, string>;
export type RetrySpec = Static<typeof RetrySpecSchema>;
export type LimitsSpec = Static<typeof LimitsSpecSchema>;

/** A task spec after validation: env values are strings. */
export type AuxTaskSpec = Omit<Static<typeof AuxTaskSpecSchema>, 'env'> & { env?: EnvSpec };
export type TaskSpec = Omit<Static<typeof TaskSpecSchema>, 'env' | 'pre' | 'post'> & {
  env?: EnvSpec;
  pre?: AuxTaskSpec[];
  post?: AuxTaskSpec[];
};
export interface JobSpec {
  name?: string;
  tasks: TaskSpec[];
  permissions?: Permission[];
}
