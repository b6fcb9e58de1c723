import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { QUEUE_NAME_MAX_LENGTH } from '../queues.js';
import { eachSchema, parallelSchema, subjobSchema } from './composite-task.schema.js';
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
} from './container-fields.schema.js';
import {
  DescriptionSchema,
  EnvSchema,
  expression,
  LimitsSpecSchema,
  name,
  PrioritySchema,
  RetrySpecSchema,
  shortText,
  TagsSchema,
} from './fields.schema.js';
import { SPEC_LIMITS } from './spec-limits.js';

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

/**
 * A task: a regular task runs a container (`image`); a composite task runs others: exactly one of
 * `parallel`, `each` or `subjob`. Which fields a kind allows is checked in validate-task-tree.ts.
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
      parallel: Type.Optional(parallelSchema(Self)),
      each: Type.Optional(eachSchema(Self)),
      subjob: Type.Optional(subjobSchema(Self)),
    },
    { additionalProperties: false },
  );
}

export const TaskSpecSchema = Type.Recursive((Self) => taskSpecObject(Self), { $id: 'TaskSpec' });

/** A reference to TaskSpecSchema, typed as it (TypeBox's `Ref` takes the `$id` only). */
export const TaskSpecRef = Type.Unsafe<Static<typeof TaskSpecSchema>>(Type.Ref('TaskSpec'));

/** The fields of a task, for schemas that show them (nested tasks are references). */
export const TASK_SPEC_FIELDS = taskSpecObject(TaskSpecRef).properties;
