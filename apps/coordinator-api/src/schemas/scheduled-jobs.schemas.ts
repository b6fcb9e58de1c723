import { Type, type Static } from '@sinclair/typebox';
import {
  JobSpecSchema,
  MAX_CRON_LENGTH,
  PRINCIPAL_KINDS,
  SCHEDULED_JOB_STATES,
  TaskSpecRef,
  type PrincipalKind,
  type ScheduledJobState,
} from '@tork/domain';

/** How many coming fire times a scheduled job's view lists. */
export const NEXT_RUNS_SHOWN = 5;

const ScheduleSchema = Type.Object(
  {
    cron: Type.String({
      minLength: 1,
      maxLength: MAX_CRON_LENGTH,
      description:
        'A cron expression: 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first. E.g. `0 3 * * *`, `*/10 * * * * *`.',
    }),
    timezone: Type.Optional(
      Type.String({
        description: 'The IANA time zone the cron is read in, e.g. `Europe/Paris`; UTC when absent.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A job spec's fields but `wait`: nobody waits for a tick. */
const jobSpecFields = Type.Omit(JobSpecSchema, ['wait']).properties;

/** The body of `POST /scheduled-jobs`, for the OpenAPI document (the domain parser validates it). */
export const ScheduledJobSpecSchema = Type.Object(
  { ...jobSpecFields, schedule: ScheduleSchema },
  {
    additionalProperties: false,
    $id: 'ScheduledJobSpec',
    description: 'A job spec without `wait`, plus `schedule`: each tick creates a job from it.',
  },
);

export const ScheduledJobSchema = Type.Object(
  {
    id: Type.String({ description: 'The scheduled job id: 32 lowercase hex digits.' }),
    name: Type.Optional(Type.String()),
    description: JobSpecSchema.properties.description,
    tags: JobSpecSchema.properties.tags,
    state: Type.Unsafe<ScheduledJobState>({
      type: 'string',
      enum: [...SCHEDULED_JOB_STATES],
      description: 'ACTIVE: its ticks create jobs; PAUSED: none until it is resumed.',
    }),
    cron: Type.String({ description: "The cron expression (Tork's field)." }),
    schedule: ScheduleSchema,
    nextRunAt: Type.Array(Type.String(), {
      description: `The next ${NEXT_RUNS_SHOWN} fire times (ISO 8601, UTC); none while PAUSED.`,
    }),
    lastRunAt: Type.Optional(
      Type.String({ description: 'The fire time of the latest tick that created a job.' }),
    ),
    inputs: JobSpecSchema.properties.inputs,
    secrets: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Names only: every value is redacted.' }),
    ),
    output: JobSpecSchema.properties.output,
    defaults: JobSpecSchema.properties.defaults,
    autoDelete: JobSpecSchema.properties.autoDelete,
    webhooks: JobSpecSchema.properties.webhooks,
    tasks: Type.Array(TaskSpecRef, {
      description: 'The tasks as submitted; secret env values and registry passwords redacted.',
    }),
    permissions: JobSpecSchema.properties.permissions,
    createdAt: Type.String({ description: 'When it was created (ISO 8601).' }),
    createdBy: Type.Optional(
      Type.Object({
        kind: Type.Unsafe<PrincipalKind>({ type: 'string', enum: [...PRINCIPAL_KINDS] }),
        name: Type.String(),
      }),
    ),
  },
  { $id: 'ScheduledJob' },
);

export const ScheduledJobPageSchema = Type.Object(
  {
    items: Type.Array(Type.Ref('ScheduledJob'), { description: 'Newest first.' }),
    number: Type.Integer({ description: 'The page number, from 1.' }),
    size: Type.Integer({ description: 'The page size.' }),
    totalPages: Type.Integer(),
    totalItems: Type.Integer(),
  },
  { $id: 'ScheduledJobPage' },
);

export type ScheduledJobView = Static<typeof ScheduledJobSchema>;
export type ScheduledJobPage = Omit<Static<typeof ScheduledJobPageSchema>, 'items'> & {
  items: ScheduledJobView[];
};
