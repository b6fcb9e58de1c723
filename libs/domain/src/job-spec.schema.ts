import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ROLES, type Permission, type Role } from './principal.js';
import { QUEUE_NAME_MAX_LENGTH } from './queues.js';
import { WEBHOOK_EVENTS, type WebhookSpec } from './webhooks/webhook.js';
import {
  CmdSchema,
  EntrypointSchema,
  FilesSchema,
  GpusSchema,
  MountsSchema,
  NetworksSchema,
  RegistrySchema,
  SidecarsSchema,
  UserSchema,
  WorkdirSchema,
  type AuxContainerFields,
  type TaskContainerFields,
} from './task-fields.schema.js';

/**
 * The job specification a user submits. This schema is the single source for validation
 * (job-spec.ts), the TypeScript types below and the OpenAPI document. Fields that hold `{{ }}`
 * expressions are strings here and are evaluated when the scheduler creates a task (resolve-task.ts).
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
  /** Children of a parallel task, and tasks of a sub-job. */
  parallelTasks: 1000,
  /** Every task of a spec, nested ones included. */
  specTasks: 10_000,
  /** How deep composite tasks (parallel, each, subjob) nest. */
  taskDepth: 8,
  /** Items an `each` may run (its list is evaluated when it starts). */
  eachItems: 100_000,
  varLength: 64,
  /** `if`, `output`, `each.list`: expressions. */
  expressionLength: 4096,
  /** inputs and secrets, each. */
  inputs: 256,
  inputValueLength: 64 * 1024,
  tags: 32,
  tagLength: 64,
  descriptionLength: 4096,
  /** The longest a `POST /jobs` may wait for its job (`wait.timeout`). */
  waitMs: 60 * 60_000,
  permissions: 64,
  /** Webhooks of a job or sub-job. */
  webhooks: 16,
  webhookUrlLength: 2048,
  webhookHeaders: 32,
  webhookHeaderValueLength: 4096,
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
    description: Type.Optional(Type.String({ maxLength: SPEC_LIMITS.descriptionLength })),
    image: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: SPEC_LIMITS.imageLength,
        description: 'The Docker image to run (required unless the engine runs no images: `-runtime shell`).',
      }),
    ),
    registry: Type.Optional(RegistrySchema),
    run: Type.Optional(
      Type.String({ maxLength: SPEC_LIMITS.runLength, description: 'The script to run with `sh -c`.' }),
    ),
    cmd: Type.Optional(CmdSchema),
    entrypoint: Type.Optional(EntrypointSchema),
    env: Type.Optional(EnvSchema),
    files: Type.Optional(FilesSchema),
    workdir: Type.Optional(WorkdirSchema),
    user: Type.Optional(UserSchema),
    timeout: Type.Optional(shortText('e.g. `300ms`, `45m`, `1h` (at most 168h).')),
  },
  { additionalProperties: false },
);

const expression = (description: string) =>
  Type.String({ maxLength: SPEC_LIMITS.expressionLength, description });

const StringMapSchema = (description: string) =>
  Type.Record(Type.String(), Type.String({ maxLength: SPEC_LIMITS.inputValueLength }), {
    maxProperties: SPEC_LIMITS.inputs,
    propertyNames: { maxLength: 64, pattern: ENV_NAME_PATTERN },
    description,
  });

const TagsSchema = Type.Array(Type.String({ maxLength: SPEC_LIMITS.tagLength }), {
  maxItems: SPEC_LIMITS.tags,
  description: 'Labels, e.g. for searching.',
});

const DescriptionSchema = Type.String({ maxLength: SPEC_LIMITS.descriptionLength });

const PrioritySchema = Type.Integer({
  minimum: 0,
  maximum: 9,
  description: 'Tasks of a higher priority (0-9, default 0) are taken from their queue first.',
});

const AutoDeleteSchema = Type.Object(
  { after: shortText('How long after it ends the job is deleted, e.g. `1h`.') },
  { additionalProperties: false },
);

/** HTTP header names (RFC 9110 tokens). */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
export const WEBHOOK_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://';

export const WebhookSpecSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: SPEC_LIMITS.webhookUrlLength,
      pattern: WEBHOOK_URL_PATTERN,
      description: 'Where deliveries are POSTed: an http(s) URL; may use expressions after the scheme.',
    }),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: SPEC_LIMITS.webhookHeaderValueLength }), {
        maxProperties: SPEC_LIMITS.webhookHeaders,
        propertyNames: { maxLength: SPEC_LIMITS.nameLength, pattern: HEADER_NAME_PATTERN },
        description:
          'Headers sent with each delivery; values may use expressions (`{{ secrets.token }}`). Secret ones are masked in every view.',
      }),
    ),
    event: Type.Optional(
      Type.Unsafe<WebhookSpec['event']>({
        type: 'string',
        enum: [...WEBHOOK_EVENTS],
        description: 'What the webhook is told of (default `job.StateChange`).',
      }),
    ),
    if: Type.Optional(
      Type.String({
        maxLength: SPEC_LIMITS.expressionLength,
        description:
          "An expression over `job` and `task`, e.g. `job.state == 'COMPLETED'` (Go names too: `job.State`).",
      }),
    ),
  },
  { additionalProperties: false },
);

const WebhooksSchema = Type.Array(WebhookSpecSchema, {
  maxItems: SPEC_LIMITS.webhooks,
  description: "HTTP callbacks on state changes and progress, signed with the engine's -webhook-secret.",
});

/**
 * A task: a regular task runs a container (`image`); a composite task runs others: exactly one of
 * `parallel`, `each` or `subjob`. Which fields a kind allows is checked in job-spec.ts.
 */
function taskSpecObject<Self extends TSchema>(Self: Self) {
  return Type.Object(
    {
      name: Type.Optional(name('A human-readable name; may use expressions.')),
      description: Type.Optional(DescriptionSchema),
      tags: Type.Optional(TagsSchema),
      image: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: SPEC_LIMITS.imageLength,
          description:
            'The Docker image to execute the task with (required unless the engine runs no images: `-runtime shell`).',
        }),
      ),
      registry: Type.Optional(RegistrySchema),
      run: Type.Optional(
        Type.String({
          maxLength: SPEC_LIMITS.runLength,
          description: 'The script to run in the container, with `sh -c` (or through `entrypoint`).',
        }),
      ),
      cmd: Type.Optional(CmdSchema),
      entrypoint: Type.Optional(EntrypointSchema),
      env: Type.Optional(EnvSchema),
      files: Type.Optional(FilesSchema),
      workdir: Type.Optional(WorkdirSchema),
      user: Type.Optional(UserSchema),
      mounts: Type.Optional(MountsSchema),
      networks: Type.Optional(NetworksSchema),
      sidecars: Type.Optional(SidecarsSchema),
      gpus: Type.Optional(GpusSchema),
      queue: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: QUEUE_NAME_MAX_LENGTH,
          description: 'The queue to route the task to (default `default`).',
        }),
      ),
      priority: Type.Optional(PrioritySchema),
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
      timeout: Type.Optional(
        shortText('How long the task may run, e.g. `300ms`, `45m`, `1h` (at most 168h).'),
      ),
      limits: Type.Optional(LimitsSpecSchema),
      var: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: SPEC_LIMITS.varLength,
          description: "Stores the task's result in the job's context as `tasks.<var>`; may use expressions.",
        }),
      ),
      if: Type.Optional(expression('An expression: the task is skipped when it evaluates to `false`.')),
      parallel: Type.Optional(
        Type.Object(
          {
            tasks: Type.Array(Self, {
              minItems: 1,
              maxItems: SPEC_LIMITS.parallelTasks,
              description: 'Tasks that run at the same time.',
            }),
          },
          { additionalProperties: false },
        ),
      ),
      each: Type.Optional(
        Type.Object(
          {
            list: Type.String({
              minLength: 1,
              maxLength: SPEC_LIMITS.expressionLength,
              description: 'An expression that yields a list, e.g. `{{ sequence(1, 5) }}`.',
            }),
            task: Self,
            var: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 64,
                description: 'The loop variable (default `item`).',
              }),
            ),
            concurrency: Type.Optional(
              Type.Integer({ minimum: 1, description: 'At most this many items run at once.' }),
            ),
          },
          { additionalProperties: false },
        ),
      ),
      subjob: Type.Optional(
        Type.Object(
          {
            name: Type.Optional(name()),
            description: Type.Optional(DescriptionSchema),
            tasks: Type.Array(Self, { minItems: 1, maxItems: SPEC_LIMITS.parallelTasks }),
            inputs: Type.Optional(StringMapSchema('Inputs of the sub-job; values may use expressions.')),
            secrets: Type.Optional(StringMapSchema('Secrets of the sub-job; values may use expressions.')),
            output: Type.Optional(expression("An expression: the sub-job's result.")),
            detached: Type.Optional(
              Type.Boolean({ description: 'The parent task completes at once, without waiting.' }),
            ),
            autoDelete: Type.Optional(AutoDeleteSchema),
            webhooks: Type.Optional(WebhooksSchema),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  );
}

export const TaskSpecSchema = Type.Recursive((Self) => taskSpecObject(Self), { $id: 'TaskSpec' });

/** A reference to TaskSpecSchema, typed as it (TypeBox's `Ref` takes the `$id` only). */
export const TaskSpecRef = Type.Unsafe<Static<typeof TaskSpecSchema>>(Type.Ref('TaskSpec'));

/** The fields of a task, for schemas that show them (nested tasks are references). */
export const TASK_SPEC_FIELDS = taskSpecObject(TaskSpecRef).properties;

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

export type EnvSpec = Record<string, string>;
export type RetrySpec = Static<typeof RetrySpecSchema>;
export type LimitsSpec = Static<typeof LimitsSpecSchema>;
export type JobDefaults = Static<typeof JobDefaultsSchema>;
export type AutoDeleteSpec = Static<typeof AutoDeleteSchema>;

/** A pre or post task after validation: env values are strings. */
export type AuxTaskSpec = Omit<Static<typeof AuxTaskSpecSchema>, 'env'> & {
  env?: EnvSpec;
} & AuxContainerFields;

export interface ParallelSpec {
  tasks: TaskSpec[];
}

export interface EachSpec {
  list: string;
  task: TaskSpec;
  var?: string;
  concurrency?: number;
}

export interface SubjobSpec {
  name?: string;
  description?: string;
  tasks: TaskSpec[];
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  output?: string;
  detached?: boolean;
  autoDelete?: AutoDeleteSpec;
  webhooks?: WebhookSpec[];
}

/** A task spec after validation: env values are strings. */
export interface TaskSpec extends TaskContainerFields {
  name?: string;
  description?: string;
  tags?: string[];
  image?: string;
  run?: string;
  env?: EnvSpec;
  queue?: string;
  priority?: number;
  pre?: AuxTaskSpec[];
  post?: AuxTaskSpec[];
  volumes?: string[];
  retry?: RetrySpec;
  timeout?: string;
  limits?: LimitsSpec;
  var?: string;
  if?: string;
  parallel?: ParallelSpec;
  each?: EachSpec;
  subjob?: SubjobSpec;
}

export interface JobSpec {
  name?: string;
  description?: string;
  tags?: string[];
  tasks: TaskSpec[];
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  output?: string;
  defaults?: JobDefaults;
  autoDelete?: AutoDeleteSpec;
  wait?: { timeout: string };
  permissions?: Permission[];
  webhooks?: WebhookSpec[];
}

/** What a task runs: a container, or other tasks. */
export type TaskKind = 'task' | 'parallel' | 'each' | 'subjob';

export function taskKind(spec: TaskSpec): TaskKind {
  if (spec.parallel !== undefined) return 'parallel';
  if (spec.each !== undefined) return 'each';
  if (spec.subjob !== undefined) return 'subjob';
  return 'task';
}
