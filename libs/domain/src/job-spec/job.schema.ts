import { Type } from '@sinclair/typebox';
import { ROLES, type Role } from '../principal.js';
import { QUEUE_NAME_MAX_LENGTH } from '../queues.js';
import {
  AutoDeleteSchema,
  DescriptionSchema,
  expression,
  LimitsSpecSchema,
  name,
  PrioritySchema,
  RetrySpecSchema,
  shortText,
  StringMapSchema,
  TagsSchema,
} from './fields.schema.js';
import { SPEC_LIMITS } from './spec-limits.js';
import { TaskSpecRef } from './task.schema.js';
import { WebhooksSchema } from './webhooks.schema.js';

/**
 * The job specification a user submits. These schemas are the single source for validation
 * (parse.ts), the TypeScript types (types.ts) and the OpenAPI document. Fields that hold `{{ }}`
 * expressions are strings here and are evaluated when the scheduler creates a task (resolve-task.ts).
 */

export const JobDefaultsSchema = Type.Object(
  {
    retry: Type.Optional(RetrySpecSchema),
    limits: Type.Optional(LimitsSpecSchema),
    timeout: Type.Optional(shortText('e.g. `45m` (at most 168h).')),
    queue: Type.Optional(Type.String({ minLength: 1, maxLength: QUEUE_NAME_MAX_LENGTH })),
    priority: Type.Optional(PrioritySchema),
  },
  { additionalProperties: false, description: 'Fill the empty fields of every regular task.' },
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
    description: Type.Optional(DescriptionSchema),
    tags: Type.Optional(TagsSchema),
    tasks: Type.Array(TaskSpecRef, {
      minItems: 1,
      maxItems: SPEC_LIMITS.tasks,
      description: 'The tasks to execute, in order.',
    }),
    inputs: Type.Optional(StringMapSchema('Values the tasks read as `{{ inputs.<name> }}`.')),
    secrets: Type.Optional(
      StringMapSchema(
        'Values the tasks read as `{{ secrets.<name> }}`; never shown, masked in every output.',
      ),
    ),
    output: Type.Optional(expression("An expression: the job's result when it completes.")),
    defaults: Type.Optional(JobDefaultsSchema),
    autoDelete: Type.Optional(AutoDeleteSchema),
    webhooks: Type.Optional(WebhooksSchema),
    wait: Type.Optional(
      Type.Object(
        { timeout: shortText('How long `POST /jobs` waits for the job to end, e.g. `1m` (at most 1h).') },
        { additionalProperties: false },
      ),
    ),
    permissions: Type.Optional(
      Type.Array(PermissionSpecSchema, {
        minItems: 1,
        maxItems: SPEC_LIMITS.permissions,
        description:
          'Who besides its creator and admins may see, cancel and restart the job (default: everyone).',
      }),
    ),
  },
  { additionalProperties: false, $id: 'JobSpec' },
);
