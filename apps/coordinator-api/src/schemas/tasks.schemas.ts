import { Type, type Static } from '@sinclair/typebox';
import {
  FAILURE_KINDS,
  TASK_SPEC_FIELDS,
  TASK_STATES,
  type FailureKind,
  type TaskKind,
  type TaskState,
} from '@tork/domain';
import { optionalTimestamp, ref, stamps, timestamp } from './common.schemas.js';

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

export const TaskIdParamsSchema = Type.Object({
  id: Type.String({ description: 'The task execution id.' }),
});

export type TaskView = Static<typeof TaskViewSchema>;
export type TaskPage = Static<typeof TaskPageSchema>;
export type TaskPageQueryString = Static<typeof TaskPageQuerySchema>;
