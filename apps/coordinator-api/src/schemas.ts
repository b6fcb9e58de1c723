import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  JOB_STATES,
  JobSpecSchema,
  PRINCIPAL_KINDS,
  TASK_STATES,
  TaskSpecSchema,
  type JobState,
  type PrincipalKind,
  type TaskState,
} from '@tork/domain';

/**
 * Response schemas of the API: the OpenAPI document and the response serializer both use them.
 * Task specs reuse the domain's job-spec schema, so what is accepted and what is shown agree.
 * Every field a view may carry must be listed here: the serializer drops unlisted fields.
 */

/** A reference to a shared schema (registered with `addSchema`), typed as the schema itself. */
function ref<T extends TSchema>(schema: T, description?: string) {
  if (schema.$id === undefined) throw new TypeError('only a schema with an $id can be referenced');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id, description === undefined ? {} : { description }));
}

const timestamp = (description: string) => Type.String({ description: `${description} (ISO 8601).` });
const optionalTimestamp = (description: string) => Type.Optional(timestamp(description));

export const ProblemSchema = Type.Object({
  path: Type.String({ description: 'Where the problem is, e.g. `tasks[0].image`.' }),
  message: Type.String({ description: 'What is wrong, e.g. `required`.' }),
});

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'What went wrong, for people.' }),
    problems: Type.Optional(
      Type.Array(ProblemSchema, { description: 'Every problem with the input, by field path.' }),
    ),
  },
  { $id: 'Error' },
);

const stamps = {
  createdAt: timestamp('When it was created'),
  scheduledAt: optionalTimestamp('When it was scheduled'),
  startedAt: optionalTimestamp('When it started running'),
  completedAt: optionalTimestamp('When it completed'),
  failedAt: optionalTimestamp('When it failed'),
  cancelledAt: optionalTimestamp('When it was cancelled'),
};

const spec = TaskSpecSchema.properties;

export const StepSchema = Type.Object({
  kind: Type.Unsafe<'pre' | 'main' | 'post'>({ type: 'string', enum: ['pre', 'main', 'post'] }),
  index: Type.Integer({ description: 'Index among the steps of its kind.' }),
  name: Type.Optional(Type.String()),
  image: Type.String(),
  state: Type.Unsafe<'COMPLETED' | 'FAILED' | 'CANCELLED'>({
    type: 'string',
    enum: ['COMPLETED', 'FAILED', 'CANCELLED'],
  }),
  error: Type.Optional(Type.String()),
  startedAt: timestamp('When the step started'),
  endedAt: timestamp('When the step ended'),
});

export const TaskViewSchema = Type.Object(
  {
    id: Type.String({ description: 'The execution id: 32 lowercase hex digits.' }),
    jobId: Type.String(),
    position: Type.Integer({ description: "0-based index of the task in the job's `tasks`." }),
    attempt: Type.Integer({ description: '1 for the first run, 2 for the first retry, ...' }),
    name: spec.name,
    state: Type.Unsafe<TaskState>({ type: 'string', enum: [...TASK_STATES] }),
    image: spec.image,
    run: spec.run,
    env: spec.env,
    queue: Type.String({ description: 'The queue the task was routed to.' }),
    pre: spec.pre,
    post: spec.post,
    volumes: spec.volumes,
    retry: spec.retry,
    timeout: spec.timeout,
    limits: spec.limits,
    nodeId: Type.Optional(Type.String({ description: 'The worker that ran the task.' })),
    result: Type.Optional(Type.String({ description: 'The output of a completed task.' })),
    error: Type.Optional(Type.String({ description: 'Why the task failed.' })),
    ...stamps,
    runAt: optionalTimestamp('When a waiting retry runs'),
    steps: Type.Optional(
      Type.Array(StepSchema, {
        description: 'What happened to each step: pre tasks, the task itself, post tasks.',
      }),
    ),
  },
  { $id: 'TaskExecution', description: 'One execution (attempt) of a task.' },
);

const jobFields = {
  id: Type.String({ description: 'The job id: 32 lowercase hex digits.' }),
  name: Type.Optional(Type.String()),
  state: Type.Unsafe<JobState>({ type: 'string', enum: [...JOB_STATES] }),
  ...stamps,
  position: Type.Integer({ description: '0-based index of the current task.' }),
  taskCount: Type.Integer({ description: 'How many tasks the job has.' }),
  result: Type.Optional(Type.String({ description: 'The result of the last task of a completed job.' })),
  error: Type.Optional(Type.String({ description: 'Why the job failed.' })),
  tasks: Type.Array(TaskSpecSchema, { description: 'The tasks as submitted; secret env values redacted.' }),
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
};

export const JobSummarySchema = Type.Object(jobFields, {
  $id: 'JobSummary',
  description: 'A job without its executions.',
});

export const JobViewSchema = Type.Object(
  {
    ...jobFields,
    execution: Type.Array(ref(TaskViewSchema), {
      description: 'The task executions, by position then attempt.',
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

export const HealthSchema = Type.Object(
  {
    status: Type.Unsafe<'UP' | 'DOWN'>({ type: 'string', enum: ['UP', 'DOWN'] }),
    version: Type.Optional(Type.String()),
    checks: Type.Optional(
      Type.Record(Type.String(), Type.Unsafe<'UP' | 'DOWN'>({ type: 'string', enum: ['UP', 'DOWN'] }), {
        description: 'Each dependency, UP or DOWN (why is in the log, not here).',
      }),
    ),
  },
  { $id: 'Health' },
);

export const PageQuerySchema = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'The page number, from 1.' })),
  size: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Items per page, 1 to 100.' }),
  ),
});

export const JobIdParamsSchema = Type.Object({
  id: Type.String({ description: 'The job id.' }),
});

export const TaskIdParamsSchema = Type.Object({
  id: Type.String({ description: 'The task execution id.' }),
});

export const StatusSchema = Type.Object({ status: Type.Literal('OK') }, { $id: 'Status' });

export const LogPageSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        number: Type.Integer({ description: 'Order of the entry in the task output, from 1.' }),
        stream: Type.Unsafe<'stdout' | 'stderr'>({ type: 'string', enum: ['stdout', 'stderr'] }),
        text: Type.String({ description: 'The output, secrets masked.' }),
        at: timestamp('When the output was produced'),
      }),
      { description: 'Oldest first.' },
    ),
    number: Type.Integer(),
    size: Type.Integer(),
    totalPages: Type.Integer(),
    totalItems: Type.Integer(),
  },
  { $id: 'LogPage' },
);

export const LogQuerySchema = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'The page number, from 1.' })),
  size: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 25, description: 'Entries per page, 1 to 100.' }),
  ),
});

/** Schemas registered with `addSchema`: each becomes a named component of the OpenAPI document. */
export const SHARED_SCHEMAS = [
  JobSpecSchema,
  ErrorSchema,
  TaskViewSchema,
  JobSummarySchema,
  JobViewSchema,
  SubmittedJobSchema,
  JobPageSchema,
  HealthSchema,
  StatusSchema,
  LogPageSchema,
];

/** References to the shared schemas for route schemas; the description is the response's, in the OpenAPI document. */
export const refs = {
  jobSpec: ref(JobSpecSchema, 'The job: JSON or YAML.'),
  error: (description: string) => ref(ErrorSchema, description),
  job: ref(JobViewSchema, 'The job with its task executions.'),
  jobPage: ref(JobPageSchema, 'One page of jobs, newest first.'),
  submittedJob: ref(SubmittedJobSchema, 'The job, stored as PENDING and queued for scheduling.'),
  health: (description: string) => ref(HealthSchema, description),
  task: ref(TaskViewSchema, 'The task execution.'),
  status: ref(StatusSchema, 'Done.'),
  logPage: ref(LogPageSchema, "One page of the task's output, oldest first."),
};

export type ErrorBody = Static<typeof ErrorSchema>;
export type TaskView = Static<typeof TaskViewSchema>;
export type JobSummary = Static<typeof JobSummarySchema>;
export type JobView = Static<typeof JobViewSchema>;
export type SubmittedJob = Static<typeof SubmittedJobSchema>;
export type JobPage = Static<typeof JobPageSchema>;
export type Health = Static<typeof HealthSchema>;
export type PageQueryString = Static<typeof PageQuerySchema>;
export type LogPage = Static<typeof LogPageSchema>;
export type LogQueryString = Static<typeof LogQuerySchema>;
export type Status = Static<typeof StatusSchema>;
