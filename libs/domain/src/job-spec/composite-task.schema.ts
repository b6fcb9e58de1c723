import { Type, type TSchema } from '@sinclair/typebox';
import { AutoDeleteSchema, DescriptionSchema, expression, name, StringMapSchema } from './fields.schema.js';
import { SPEC_LIMITS } from './spec-limits.js';
import { WebhooksSchema } from './webhooks.schema.js';

/*
 * The fields of a composite task, each of which runs other tasks: `parallel`, `each`, `subjob`.
 * `Self` is the task schema itself (or a reference to it): composite tasks nest.
 */

export function parallelSchema<Self extends TSchema>(Self: Self) {
  return Type.Object(
    {
      tasks: Type.Array(Self, {
        minItems: 1,
        maxItems: SPEC_LIMITS.parallelTasks,
        description: 'Tasks that run at the same time.',
      }),
    },
    { additionalProperties: false },
  );
}

export function eachSchema<Self extends TSchema>(Self: Self) {
  return Type.Object(
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
  );
}

export function subjobSchema<Self extends TSchema>(Self: Self) {
  return Type.Object(
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
  );
}
