import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The job specification a user submits. This schema is the single source for validation
 * (job-spec.ts), the TypeScript types below and the OpenAPI document. Fields that hold `{{ }}`
 * expressions are strings here and are evaluated when the scheduler creates a task (resolve-task.ts).
 */

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const StringMapSchema = (description: string) =>
  Type.Record(Type.String(), Type.String(), { description });

const EnvSchema = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
  description:
    'Environment variables for the container; values may use expressions. Values of keys containing SECRET, PASSWORD or ACCESS_KEY are redacted.',
});

const TagsSchema = Type.Array(Type.String(), { description: 'Labels, e.g. for searching.' });

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

const PrioritySchema = Type.Integer({
  minimum: 0,
  maximum: 9,
  description: 'Tasks of a higher priority (0-9, default 0) are taken from their queue first.',
});

export const AuxTaskSpecSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    image: Type.String({ minLength: 1, description: 'The Docker image to run.' }),
    run: Type.Optional(Type.String({ description: 'The script to run with `sh -c`.' })),
    env: Type.Optional(EnvSchema),
    timeout: Type.Optional(Type.String({ description: 'e.g. `300ms`, `45m`, `1h`.' })),
  },
  { additionalProperties: false },
);

const AutoDeleteSchema = Type.Object(
  { after: Type.String({ description: 'How long after it ends the job is deleted, e.g. `1h`.' }) },
  { additionalProperties: false },
);

/**
 * A task: a regular task runs a container (`image`); a composite task runs others: exactly one of
 * `parallel`, `each` or `subjob`. Which fields a kind allows is checked in job-spec.ts.
 */
export const TaskSpecSchema = Type.Recursive(
  (Self) =>
    Type.Object(
      {
        name: Type.Optional(Type.String({ description: 'A human-readable name; may use expressions.' })),
        description: Type.Optional(Type.String()),
        tags: Type.Optional(TagsSchema),
        image: Type.Optional(
          Type.String({ minLength: 1, description: 'The Docker image to execute the task with.' }),
        ),
        run: Type.Optional(Type.String({ description: 'The script to run in the container, with `sh -c`.' })),
        env: Type.Optional(EnvSchema),
        queue: Type.Optional(
          Type.String({ minLength: 1, description: 'The queue to route the task to (default `default`).' }),
        ),
        priority: Type.Optional(PrioritySchema),
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
        var: Type.Optional(
          Type.String({
            minLength: 1,
            description: "Stores the task's result in the job's context as `tasks.<var>`; may use expressions.",
          }),
        ),
        if: Type.Optional(
          Type.String({ description: 'An expression: the task is skipped when it evaluates to `false`.' }),
        ),
        parallel: Type.Optional(
          Type.Object(
            {
              tasks: Type.Array(Self, { minItems: 1, description: 'Tasks that run at the same time.' }),
            },
            { additionalProperties: false },
          ),
        ),
        each: Type.Optional(
          Type.Object(
            {
              list: Type.String({
                minLength: 1,
                description: 'An expression that yields an array, e.g. `{{ sequence(1, 5) }}`.',
              }),
              task: Self,
              var: Type.Optional(
                Type.String({ minLength: 1, description: 'The loop variable (default `item`).' }),
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
              name: Type.Optional(Type.String()),
              description: Type.Optional(Type.String()),
              tasks: Type.Array(Self, { minItems: 1 }),
              inputs: Type.Optional(StringMapSchema('Inputs of the sub-job; values may use expressions.')),
              secrets: Type.Optional(StringMapSchema('Secrets of the sub-job; values may use expressions.')),
              output: Type.Optional(Type.String({ description: "An expression: the sub-job's result." })),
              detached: Type.Optional(
                Type.Boolean({ description: 'The parent task completes at once, without waiting.' }),
              ),
              autoDelete: Type.Optional(AutoDeleteSchema),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  { $id: 'TaskSpec' },
);

export const JobDefaultsSchema = Type.Object(
  {
    retry: Type.Optional(RetrySpecSchema),
    limits: Type.Optional(LimitsSpecSchema),
    timeout: Type.Optional(Type.String({ description: 'e.g. `45m`.' })),
    queue: Type.Optional(Type.String({ minLength: 1 })),
    priority: Type.Optional(PrioritySchema),
  },
  { additionalProperties: false, description: 'Fill the empty fields of every regular task.' },
);

export const JobSpecSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'A human-readable name for the job.' })),
    description: Type.Optional(Type.String()),
    tags: Type.Optional(TagsSchema),
    tasks: Type.Array(TaskSpecSchema, { minItems: 1, description: 'The tasks to execute, in order.' }),
    inputs: Type.Optional(StringMapSchema('Values the tasks read as `{{ inputs.<name> }}`.')),
    secrets: Type.Optional(
      StringMapSchema('Values the tasks read as `{{ secrets.<name> }}`; never shown, masked in every output.'),
    ),
    output: Type.Optional(Type.String({ description: "An expression: the job's result when it completes." })),
    defaults: Type.Optional(JobDefaultsSchema),
    autoDelete: Type.Optional(AutoDeleteSchema),
    wait: Type.Optional(
      Type.Object(
        {
          timeout: Type.String({ description: 'How long `POST /jobs` waits for the job to end, e.g. `1m`.' }),
        },
        { additionalProperties: false },
      ),
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
export type AuxTaskSpec = Omit<Static<typeof AuxTaskSpecSchema>, 'env'> & { env?: EnvSpec };

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
}

/** A task spec after validation: env values are strings. */
export interface TaskSpec {
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
}

/** What a task runs: a container, or other tasks. */
export type TaskKind = 'task' | 'parallel' | 'each' | 'subjob';

export function taskKind(spec: TaskSpec): TaskKind {
  if (spec.parallel !== undefined) return 'parallel';
  if (spec.each !== undefined) return 'each';
  if (spec.subjob !== undefined) return 'subjob';
  return 'task';
}
