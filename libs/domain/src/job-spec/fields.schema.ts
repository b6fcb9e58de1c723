import { Type, type TSchema } from '@sinclair/typebox';
import { SPEC_LIMITS } from './spec-limits.js';

/** Field schemas that jobs, tasks and pre/post tasks share, and the builders of such fields. */

export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const shortText = (description: string) =>
  Type.String({ maxLength: SPEC_LIMITS.shortTextLength, description });
export const name = (description?: string) =>
  Type.String({ maxLength: SPEC_LIMITS.nameLength, ...(description === undefined ? {} : { description }) });

export const EnvSchema = Type.Record(
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

export const expression = (description: string) =>
  Type.String({ maxLength: SPEC_LIMITS.expressionLength, description });

export const StringMapSchema = (description: string) =>
  Type.Record(Type.String(), Type.String({ maxLength: SPEC_LIMITS.inputValueLength }), {
    maxProperties: SPEC_LIMITS.inputs,
    propertyNames: { maxLength: 64, pattern: ENV_NAME_PATTERN },
    description,
  });

export const TagsSchema = Type.Array(Type.String({ maxLength: SPEC_LIMITS.tagLength }), {
  maxItems: SPEC_LIMITS.tags,
  description: 'Labels, e.g. for searching.',
});

export const DescriptionSchema = Type.String({ maxLength: SPEC_LIMITS.descriptionLength });

export const PrioritySchema = Type.Integer({
  minimum: 0,
  maximum: 9,
  description: 'Tasks of a higher priority (0-9, default 0) are taken from their queue first.',
});

export const AutoDeleteSchema = Type.Object(
  { after: shortText('How long after it ends the job is deleted, e.g. `1h`.') },
  { additionalProperties: false },
);
