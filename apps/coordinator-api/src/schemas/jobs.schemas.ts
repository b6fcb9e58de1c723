import { Type, type Static } from '@sinclair/typebox';
import {
  JOB_STATES,
  JobSpecSchema,
  PRINCIPAL_KINDS,
  TaskSpecRef,
  type JobState,
  type PrincipalKind,
} from '@tork/domain';
import { optionalTimestamp, PageQuerySchema, ref, stamps } from './common.schemas.js';
import { TaskViewSchema } from './tasks.schemas.js';

const jobFields = {
  id: Type.String({ description: 'The job id: 32 lowercase hex digits.' }),
  name: Type.Optional(Type.String()),
  state: Type.Unsafe<JobState>({ type: 'string', enum: [...JOB_STATES] }),
  ...stamps,
  description: JobSpecSchema.properties.description,
  tags: JobSpecSchema.properties.tags,
  parentId: Type.Optional(
    Type.String({ description: 'A sub-job: the task of the parent job that runs it.' }),
  ),
  position: Type.Integer({ description: '1-based index of the current top-level task; 0 before the first.' }),
  taskCount: Type.Integer({ description: 'How many top-level tasks the job has.' }),
  progress: Type.Number({
    minimum: 0,
    maximum: 100,
    description: "Its top-level tasks done and the running one's own progress, 0-100; 100 once completed.",
  }),
  result: Type.Optional(
    Type.String({ description: "The job's `output` evaluated, else the result of its last task." }),
  ),
  error: Type.Optional(Type.String({ description: 'Why the job failed.' })),
  deleteAt: optionalTimestamp('When the job is deleted (`autoDelete`)'),
  inputs: JobSpecSchema.properties.inputs,
  output: JobSpecSchema.properties.output,
  defaults: JobSpecSchema.properties.defaults,
  autoDelete: JobSpecSchema.properties.autoDelete,
  webhooks: JobSpecSchema.properties.webhooks,
  tasks: Type.Array(TaskSpecRef, {
    description: 'The tasks as submitted; secret env values and registry passwords redacted.',
  }),
  createdBy: Type.Optional(
    Type.Object(
      {
        kind: Type.Unsafe<PrincipalKind>({ type: 'string', enum: [...PRINCIPAL_KINDS] }),
        name: Type.String({ description: 'The API key or user, by name.' }),
      },
      { description: 'Who submitted the job.' },
    ),
  ),
  permissions: JobSpecSchema.properties.permissions,
  schedule: Type.Optional(
    Type.Object(
      { id: Type.String(), cron: Type.String() },
      { description: 'A job a scheduled job created: that scheduled job and its cron expression.' },
    ),
  ),
  scheduledJobId: Type.Optional(Type.String({ description: 'The scheduled job that created it.' })),
};

export const JobSummarySchema = Type.Object(
  {
    id: jobFields.id,
    name: jobFields.name,
    description: jobFields.description,
    tags: jobFields.tags,
    state: jobFields.state,
    parentId: jobFields.parentId,
    ...stamps,
    deleteAt: jobFields.deleteAt,
    position: jobFields.position,
    taskCount: jobFields.taskCount,
    progress: jobFields.progress,
    createdBy: jobFields.createdBy,
    permissions: jobFields.permissions,
    schedule: jobFields.schedule,
    scheduledJobId: jobFields.scheduledJobId,
  },
  {
    $id: 'JobSummary',
    description:
      'A job as lists show it: no task definitions, inputs, result, error or executions (GET /jobs/{id} has them: a secret in a result or error is masked by the task definitions).',
  },
);

export const JobViewSchema = Type.Object(
  {
    ...jobFields,
    context: Type.Object(
      {
        inputs: Type.Record(Type.String(), Type.String()),
        secrets: Type.Record(Type.String(), Type.String(), {
          description: 'Names only: every value is redacted.',
        }),
        tasks: Type.Record(Type.String(), Type.String(), {
          description: 'Each `var` and the result it stored.',
        }),
      },
      { description: 'What its expressions read.' },
    ),
    execution: Type.Array(ref(TaskViewSchema), {
      description:
        'The task executions in the order they were created: every top-level one, and the first 100 under each composite task (the rest: GET /jobs/{id}/tasks?parentId=).',
    }),
  },
  { $id: 'Job' },
);

export const SubmittedJobSchema = Type.Object(
  {
    id: jobFields.id,
    name: jobFields.name,
    state: jobFields.state,
    createdAt: stamps.createdAt,
    tasks: jobFields.tasks,
    permissions: jobFields.permissions,
  },
  { $id: 'SubmittedJob', description: 'A job just accepted: stored as PENDING and queued for scheduling.' },
);

export const JobPageSchema = Type.Object(
  {
    items: Type.Array(ref(JobSummarySchema), { description: 'Newest first.' }),
    number: Type.Integer({ description: 'The page number, from 1.' }),
    size: Type.Integer({ description: 'The page size.' }),
    totalPages: Type.Integer(),
    totalItems: Type.Integer(),
  },
  { $id: 'JobPage' },
);

export const JobListQuerySchema = Type.Object({
  ...PageQuerySchema.properties,
  q: Type.Optional(
    Type.String({
      maxLength: 500,
      description:
        'Search: jobs whose state, name or description contain every word (case-insensitive, whole words); `tag:x` and `tags:a,b` keep the jobs with at least one of the tags. E.g. `backup tag:prod`.',
    }),
  ),
  state: Type.Optional(
    Type.String({
      description: `Only jobs in this state, or in one of these (comma-separated): ${JOB_STATES.join(', ')}.`,
    }),
  ),
  scheduledJobId: Type.Optional(Type.String({ description: 'Only the jobs this scheduled job created.' })),
});

export const JobIdParamsSchema = Type.Object({
  id: Type.String({ description: 'The job id.' }),
});

export type JobSummary = Static<typeof JobSummarySchema>;
export type JobView = Static<typeof JobViewSchema>;
export type SubmittedJob = Static<typeof SubmittedJobSchema>;
export type JobPage = Static<typeof JobPageSchema>;
export type JobListQueryString = Static<typeof JobListQuerySchema>;
