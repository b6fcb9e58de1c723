import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ROLES, type Permission, type Role } from './principal.js';
import { QUEUE_NAME_MAX_LENGTH } from './queues.js';

/**
 * The job specification a user submits. This schema is the single source for validation
 * (job-spec.ts), the TypeScript types below and the OpenAPI document.
 */

/** Every structural and duration limit of a job spec: the schema below and job-spec.ts use these, the README lists them. */
export const SPEC_LIMITS = {
  tasks: 1000,
  /** pre and post tasks, each. */
  auxTasks: 16,
  volumes: 16,
  envKeys: 256,
  envKeyLength: 256,
  envValueLength: 64 * 1024,
  nameLength: 256,
  imageLength: 512,
  runLength: 256 * 1024,
  volumePathLength: 256,
  /** Durations, CPU counts and sizes written as text. */
  shortTextLength: 32,
  /** A task's or a pre/post task's timeout: 7 days. */
  timeoutMs: 168 * 3_600_000,
  /** The sum of every retry's wait, for the given limit, initialDelay and scalingFactor: 24 hours. */
  totalRetryDelayMs: 24 * 3_600_000,
  permissions: 64,
} as const;

export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const shortText = (description: string) =>
  Type.String({ maxLength: SPEC_LIMITS.shortTextLength, description });
const name = (description?: string) =>
  Type.String({ maxLength: SPEC_LIMITS.nameLength, ...(description === undefined ? {} : { description }) });

const EnvSchema = Type.Record(
  Type.String(),
  Type.Union([Type.String({ maxLength: SPEC_LIMITS.envValueLength }), Type.Number(), Type.Boolean()]),
  {
    maxProperties: SPEC_LIMITS.envKeys,
    propertyNames: { maxLength: SPEC_LIMITS.envKeyLength, pattern: ENV_NAME_PATTERN },
    description:
      'Environment variables for the container. Values of keys that look secret (TOKEN, PASSWORD, SECRET, API_KEY, ... configurable) and passwords in URLs are masked everywhere.',
  },
);

export const RetrySpecSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 0, maximum: 10, description: 'How many times to retry a failed task.' }),
    initialDelay: Type.Optional(
      nullable(shortText('Delay before the first retry, e.g. `5s` (default 1s, max 5m).')),
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
      Type.Union([Type.String({ maxLength: SPEC_LIMITS.shortTextLength }), Type.Number()], {
        description: 'CPUs, e.g. `.5` or `2`.',
      }),
    ),
    memory: Type.Optional(shortText('Memory with a unit suffix b, k, m or g, e.g. `10m`.')),
  },
  { additionalProperties: false },
);

export const AuxTaskSpecSchema = Type.Object(
  {
    name: Type.Optional(name()),
    image: Type.String({
      minLength: 1,
      maxLength: SPEC_LIMITS.imageLength,
      description: 'The Docker image to run.',
    }),
    run: Type.Optional(
      Type.String({ maxLength: SPEC_LIMITS.runLength, description: 'The script to run with `sh -c`.' }),
    ),
    env: Type.Optional(EnvSchema),
    timeout: Type.Optional(shortText('e.g. `300ms`, `45m`, `1h` (at most 168h).')),
  },
  { additionalProperties: false },
);

export const TaskSpecSchema = Type.Object(
  {
    name: Type.Optional(name('A human-readable name for the task.')),
    image: Type.String({
      minLength: 1,
      maxLength: SPEC_LIMITS.imageLength,
      description: 'The Docker image to execute the task with.',
    }),
    run: Type.Optional(
      Type.String({
        maxLength: SPEC_LIMITS.runLength,
        description: 'The script to run in the container, with `sh -c`.',
      }),
    ),
    env: Type.Optional(EnvSchema),
    queue: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: QUEUE_NAME_MAX_LENGTH,
        description: 'The queue to route the task to (default `default`).',
      }),
    ),
    pre: Type.Optional(
      Type.Array(AuxTaskSpecSchema, {
        maxItems: SPEC_LIMITS.auxTasks,
        description: 'Tasks run before the task, on the same worker.',
      }),
    ),
    post: Type.Optional(
      Type.Array(AuxTaskSpecSchema, {
        maxItems: SPEC_LIMITS.auxTasks,
        description: 'Tasks run after the task, on the same worker.',
      }),
    ),
    volumes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: SPEC_LIMITS.volumePathLength }), {
        maxItems: SPEC_LIMITS.volumes,
        description: 'Temporary volumes shared by the task and its pre/post tasks.',
      }),
    ),
    retry: Type.Optional(RetrySpecSchema),
    timeout: Type.Optional(shortText('How long the task may run, e.g. `300ms`, `45m`, `1h` (at most 168h).')),
    limits: Type.Optional(LimitsSpecSchema),
  },
  { additionalProperties: false },
);

export const PermissionSpecSchema = Type.Object(
  {
    role: Type.Optional(Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] })),
    user: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: SPEC_LIMITS.nameLength,
        description: 'A user or an API key, by name.',
      }),
    ),
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
    name: Type.Optional(name('A human-readable name for the job.')),
    tasks: Type.Array(TaskSpecSchema, {
      minItems: 1,
      maxItems: SPEC_LIMITS.tasks,
      description: 'The tasks to execute, in order.',
    }),
    permissions: Type.Optional(
      Type.Array(PermissionSpecSchema, {
        minItems: 1,
        maxItems: SPEC_LIMITS.permissions,
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
