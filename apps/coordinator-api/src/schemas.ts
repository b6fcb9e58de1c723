import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  FAILURE_KINDS,
  JOB_STATES,
  JobSpecSchema,
  PRINCIPAL_KINDS,
  TASK_STATES,
  TASK_SPEC_FIELDS,
  TaskSpecRef,
  TaskSpecSchema,
  type FailureKind,
  type JobState,
  type PrincipalKind,
  type TaskKind,
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
    id: Type.Optional(Type.String({ description: 'The job it concerns: a `wait` that timed out.' })),
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

const spec = TASK_SPEC_FIELDS;

export const StepSchema = Type.Object({
  kind: Type.Unsafe<'pre' | 'main' | 'post'>({ type: 'string', enum: ['pre', 'main', 'post'] }),
  index: Type.Integer({ description: 'Index among the steps of its kind.' }),
  name: Type.Optional(Type.String()),
  image: Type.Optional(Type.String({ description: 'None where the runtime runs no images.' })),
  state: Type.Unsafe<'COMPLETED' | 'FAILED' | 'CANCELLED'>({
    type: 'string',
    enum: ['COMPLETED', 'FAILED', 'CANCELLED'],
  }),
  error: Type.Optional(Type.String()),
  startedAt: timestamp('When the step started'),
  endedAt: timestamp('When the step ended'),
});

const TaskStateSchema = Type.Unsafe<TaskState>({ type: 'string', enum: [...TASK_STATES] });

export const TaskViewSchema = Type.Object(
  {
    id: Type.String({ description: 'The execution id: 32 lowercase hex digits.' }),
    jobId: Type.String(),
    parentId: Type.Optional(
      Type.String({
        description: 'The composite task (parallel, each, subjob) it runs under; none at the top level.',
      }),
    ),
    position: Type.Integer({
      description: '1-based place among its siblings: in the job, or under its parent.',
    }),
    kind: Type.Unsafe<TaskKind>({ type: 'string', enum: ['task', 'parallel', 'each', 'subjob'] }),
    attempt: Type.Integer({ description: '1 for the first run, 2 for the first retry, ...' }),
    name: spec.name,
    description: spec.description,
    tags: spec.tags,
    state: TaskStateSchema,
    image: spec.image,
    registry: spec.registry,
    run: spec.run,
    cmd: spec.cmd,
    entrypoint: spec.entrypoint,
    env: spec.env,
    files: spec.files,
    workdir: spec.workdir,
    user: spec.user,
    mounts: spec.mounts,
    networks: spec.networks,
    sidecars: spec.sidecars,
    gpus: spec.gpus,
    queue: Type.String({ description: 'The queue the task was routed to.' }),
    priority: spec.priority,
    pre: spec.pre,
    post: spec.post,
    volumes: spec.volumes,
    retry: spec.retry,
    timeout: spec.timeout,
    limits: spec.limits,
    var: spec.var,
    if: spec.if,
    parallel: spec.parallel,
    each: spec.each,
    subjob: spec.subjob,
    item: Type.Optional(
      Type.Object(
        { name: Type.String(), index: Type.String(), value: Type.Unknown() },
        { description: 'The item of the `each` it runs for: its variable, index and value.' },
      ),
    ),
    nodeId: Type.Optional(Type.String({ description: 'The worker that ran the task.' })),
    result: Type.Optional(Type.String({ description: 'The output of a completed task.' })),
    error: Type.Optional(Type.String({ description: 'Why the task failed.' })),
    failure: Type.Optional(
      Type.Object(
        {
          kind: Type.Unsafe<FailureKind>({ type: 'string', enum: [...FAILURE_KINDS] }),
          exitCode: Type.Optional(Type.Integer()),
        },
        {
          description:
            'Why the task failed, for machines: exit, oom, timeout, image, cancelled, worker-lost, rejected, runtime.',
        },
      ),
    ),
    progress: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description: 'While it runs: 0-100, as the task last wrote it to `$TORK_PROGRESS`.',
      }),
    ),
    handBacks: Type.Optional(
      Type.Integer({
        description:
          "Times it ran again because its worker's runtime was down (failure kind `runtime`); not retries.",
      }),
    ),
    ...stamps,
    runAt: optionalTimestamp('When a waiting retry runs'),
    steps: Type.Optional(
      Type.Array(StepSchema, {
        description: 'What happened to each step: pre tasks, the task itself, post tasks.',
      }),
    ),
    childCount: Type.Optional(
      Type.Integer({ description: 'A parallel or each task: how many children it runs.' }),
    ),
    childCounts: Type.Optional(
      Type.Record(Type.String(), Type.Integer(), {
        description: 'A parallel or each task: how many executions under it are in each state.',
      }),
    ),
    subjobId: Type.Optional(Type.String({ description: 'A subjob task: the job it runs.' })),
  },
  { $id: 'TaskExecution', description: 'One execution (attempt) of a task.' },
);

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

export const TaskPageSchema = Type.Object(
  {
    items: Type.Array(ref(TaskViewSchema), { description: 'By position, then attempt.' }),
    number: Type.Integer({ description: 'The page number, from 1.' }),
    size: Type.Integer({ description: 'The page size.' }),
    totalPages: Type.Integer(),
    totalItems: Type.Integer(),
  },
  { $id: 'TaskPage' },
);

export const TaskPageQuerySchema = Type.Object({
  parentId: Type.Optional(
    Type.String({ description: "A composite task's id: its children; none: the top-level tasks." }),
  ),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'The page number, from 1.' })),
  size: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 25, description: 'Items per page, 1 to 100.' }),
  ),
});

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

export const TaskIdParamsSchema = Type.Object({
  id: Type.String({ description: 'The task execution id.' }),
});

export const StatusSchema = Type.Object({ status: Type.Literal('OK') }, { $id: 'Status' });

export const LogPageSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        taskId: Type.String({ description: 'The task execution that wrote it.' }),
        number: Type.Integer({ description: 'Order of the entry in the task output, from 1.' }),
        stream: Type.Unsafe<'stdout' | 'stderr'>({ type: 'string', enum: ['stdout', 'stderr'] }),
        text: Type.String({ description: 'The output, secrets masked.' }),
        at: timestamp('When the output was produced'),
        id: Type.String({ description: "`<taskId>:<number>`, unique per entry (Tork's `id`)." }),
        contents: Type.String({ description: "Tork's name for `text`." }),
        createdAt: timestamp("Tork's name for `at`"),
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
  follow: Type.Optional(
    Type.Boolean({
      description:
        'Stream the log as Server-Sent Events instead of a page: event: log per entry (id: its number; resume with Last-Event-ID), event: end when it ends.',
    }),
  ),
  access_token: Type.Optional(Type.String({ description: 'With follow: a token from POST /streams/token.' })),
  lastEventId: Type.Optional(Type.String({ description: 'With follow: resume after this id.' })),
});

/** A worker as `GET /nodes` shows it. */
export const NodeSchema = Type.Object(
  {
    id: Type.String({ description: 'The worker id; its command queue is `x-<id>`.' }),
    hostname: Type.String(),
    status: Type.Unsafe<'UP' | 'OFFLINE'>({
      type: 'string',
      enum: ['UP', 'OFFLINE'],
      description: 'OFFLINE after three missed heartbeats.',
    }),
    queues: Type.Record(Type.String(), Type.Integer(), { description: 'Queue name → concurrency.' }),
    runningTasks: Type.Integer({ description: 'Tasks running at the last heartbeat.' }),
    taskCount: Type.Integer({ description: "Tork's name for runningTasks." }),
    cpuPercent: Type.Number({
      description:
        "The host's CPU use (0-100) over the last heartbeat interval; 0 when the worker sent none.",
    }),
    version: Type.Optional(Type.String({ description: "The worker's engine version." })),
    startedAt: Type.String(),
    lastHeartbeatAt: Type.String(),
  },
  { $id: 'Node' },
);

export type NodeView = Static<typeof NodeSchema>;

/** Schemas registered with `addSchema`: each becomes a named component of the OpenAPI document. */
export const SHARED_SCHEMAS = [
  TaskSpecSchema,
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
  TaskPageSchema,
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
  jobLogPage: ref(LogPageSchema, "One page of the job's output, every task's, in the order it was written."),
  taskPage: ref(TaskPageSchema, 'One page of task executions.'),
};

export type ErrorBody = Static<typeof ErrorSchema>;
export type TaskView = Static<typeof TaskViewSchema>;
export type JobSummary = Static<typeof JobSummarySchema>;
export type JobView = Static<typeof JobViewSchema>;
export type SubmittedJob = Static<typeof SubmittedJobSchema>;
export type JobPage = Static<typeof JobPageSchema>;
export type Health = Static<typeof HealthSchema>;
export type PageQueryString = Static<typeof PageQuerySchema>;
export type JobListQueryString = Static<typeof JobListQuerySchema>;
export type LogPage = Static<typeof LogPageSchema>;
export type LogQueryString = Static<typeof LogQuerySchema>;
export type Status = Static<typeof StatusSchema>;
export type TaskPage = Static<typeof TaskPageSchema>;
export type TaskPageQueryString = Static<typeof TaskPageQuerySchema>;
