import { JOB_STATES, TorkError, type JobSpecFormat, type JobState, type SecretPolicy } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { JOB_SPEC_MEDIA_TYPE_NAMES, JOB_SPEC_MEDIA_TYPES, unsupportedMediaType } from '../media-types.js';
import type { Status } from '../schemas/common.schemas.js';
import {
  JobIdParamsSchema,
  JobListQuerySchema,
  type JobListQueryString,
  type JobPage,
  type JobView,
  type SubmittedJob,
} from '../schemas/jobs.schemas.js';
import { LogQuerySchema, type LogPage, type LogQueryString } from '../schemas/logs.schemas.js';
import { refs } from '../schemas/shared-schemas.js';
import { TaskPageQuerySchema, type TaskPage, type TaskPageQueryString } from '../schemas/tasks.schemas.js';
import type { JobService } from '../services/job.service.js';
import type { StreamService } from '../streams/stream.service.js';
import { jobSecrets, toJobSummary, toJobView, toLogPage, toSubmittedJob, toTaskPage } from '../views.js';

export interface JobsRoutesOptions {
  readonly jobs: JobService;
  /** Which env values views redact. */
  readonly secretPolicy: SecretPolicy;
  /** Serves `?follow=true` on the log routes. */
  readonly streams: StreamService;
}

/** A submitted body, still text: the domain parser is its one validator. */
interface SpecText {
  readonly format: JobSpecFormat;
  readonly text: string;
}

const DEFAULT_PAGE_SIZE = 10;
const DEFAULT_TASK_PAGE_SIZE = 25;
const DEFAULT_LOG_PAGE_SIZE = 25;

const submitSchema: FastifySchema = {
  summary: 'Submit a job',
  description:
    'Validates the job, stores it as PENDING and queues it for scheduling. Accepts JSON or YAML. With `wait: {timeout}`, answers once the job has ended, with the whole job (as `GET /jobs/{id}`), or 408 with its id.',
  tags: ['jobs'],
  consumes: JOB_SPEC_MEDIA_TYPE_NAMES,
  // Documents the body; it is validated by the domain parser, not by Fastify (see validatorCompiler below).
  body: refs.jobSpec,
  response: {
    200: refs.submittedJob,
    400: refs.error('The job is invalid: every problem is listed with its path.'),
    408: refs.error('With `wait`: the job did not end in time (it keeps running); `id` names it.'),
    401: refs.error('No credential, or a wrong one.'),
    413: refs.error('The body is larger than the limit.'),
    415: refs.error('The body is neither JSON nor YAML.'),
  },
};

const getSchema: FastifySchema = {
  summary: 'Get a job with its task executions',
  tags: ['jobs'],
  params: JobIdParamsSchema,
  response: { 200: refs.job, 404: refs.error('No job has this id that the caller may see.') },
};

const cancelSchema: FastifySchema = {
  summary: 'Cancel a job',
  description:
    'Stops its running task and removes its container; no later task starts. The job becomes CANCELLED.',
  tags: ['jobs'],
  params: JobIdParamsSchema,
  response: {
    200: refs.status,
    400: refs.error('The job has already ended.'),
    404: refs.error('No job has this id that the caller may see.'),
  },
};

const restartSchema: FastifySchema = {
  summary: 'Restart a failed or cancelled job',
  description:
    'Resumes it where it stopped: what completed is kept (its vars too); what failed, was cancelled or never started runs again, with its retries counted afresh.',
  tags: ['jobs'],
  params: JobIdParamsSchema,
  response: {
    200: refs.status,
    400: refs.error('The job is not FAILED or CANCELLED.'),
    404: refs.error('No job has this id that the caller may see.'),
  },
};

const duplicateSchema: FastifySchema = {
  summary: 'Run a job again',
  description:
    'Submits the definition of a job again as a new job, with the secret values it was submitted with (views only ever show them masked). Needs the same rights as submitting; answers as `POST /jobs` does.',
  tags: ['jobs'],
  params: JobIdParamsSchema,
  response: {
    200: refs.submittedJob,
    400: refs.error('The job no longer passes the checks of a submission (e.g. a queue now refused).'),
    404: refs.error('No job has this id that the caller may see.'),
  },
};

const tasksSchema: FastifySchema = {
  summary: "Page through a job's executions",
  description:
    'The top-level executions, or (`parentId`) those under one composite task: a job view shows at most 100 under each.',
  tags: ['jobs'],
  params: JobIdParamsSchema,
  querystring: TaskPageQuerySchema,
  response: { 200: refs.taskPage, 404: refs.error('No job has this id that the caller may see.') },
};

const jobLogSchema: FastifySchema = {
  summary: "Get a job's output",
  description: 'The output of every task of the job, in the order it was written, secrets masked.',
  tags: ['jobs'],
  params: JobIdParamsSchema,
  querystring: LogQuerySchema,
  response: { 200: refs.jobLogPage, 404: refs.error('No job has this id that the caller may see.') },
};

const listSchema: FastifySchema = {
  summary: 'List or search the jobs the caller may see, newest first',
  description:
    'Job summaries (no task definitions, inputs, result or executions). `q` searches the words of state, name and description, with `tag:x` / `tags:a,b` filters; `state` keeps the jobs in the given states.',
  tags: ['jobs'],
  querystring: JobListQuerySchema,
  response: { 200: refs.jobPage, 400: refs.error('Invalid page, size or state.') },
};

/** POST /job(s), GET /job(s)/{id}, GET /jobs. */
export function jobsRoutes(app: FastifyInstance, options: JobsRoutesOptions): Promise<void> {
  const { jobs, secretPolicy } = options;

  // Bodies reach the handler as text, so the domain parser sees exactly what was sent (no coercion, no stripping).
  app.removeAllContentTypeParsers();
  for (const [mediaType, format] of Object.entries(JOB_SPEC_MEDIA_TYPES)) {
    app.addContentTypeParser(mediaType, { parseAs: 'string' }, (_request, text, done) => {
      done(null, { format, text: text.toString() } satisfies SpecText);
    });
  }

  for (const url of ['/job', '/jobs']) {
    app.post<{ Body: SpecText | undefined }>(
      url,
      { schema: submitSchema, validatorCompiler: () => () => true },
      async (request, reply): Promise<SubmittedJob | string> => {
        const body = request.body;
        if (body === undefined) throw unsupportedMediaType(request.headers['content-type']);
        const { job, waitMs } = await jobs.submit(request.principal, body.text, body.format);
        if (waitMs === undefined) return toSubmittedJob(job, secretPolicy);
        // A client that leaves ends the wait (the job runs on).
        const gone = new Promise<void>((resolve) => reply.raw.once('close', resolve));
        const ended = await jobs.waitForEnd(job.id, waitMs, gone);
        if (ended === undefined) {
          void reply.status(408);
          return { error: 'wait timed out', id: job.id } as unknown as SubmittedJob;
        }
        // The whole job, not the submission's shape: sent as it is, past the 200 schema.
        void reply.type('application/json; charset=utf-8');
        return JSON.stringify(toJobView(ended.job, ended.overview, ended.vars, secretPolicy));
      },
    );
  }

  for (const url of ['/job/:id', '/jobs/:id']) {
    app.get<{ Params: { id: string } }>(url, { schema: getSchema }, async (request): Promise<JobView> => {
      const { job, overview, vars } = await jobs.get(request.principal, request.params.id);
      return toJobView(job, overview, vars, secretPolicy);
    });
  }

  for (const url of ['/job/:id/cancel', '/jobs/:id/cancel']) {
    app.put<{ Params: { id: string } }>(url, { schema: cancelSchema }, async (request): Promise<Status> => {
      await jobs.cancel(request.principal, request.params.id);
      return { status: 'OK' };
    });
  }

  for (const url of ['/job/:id/restart', '/jobs/:id/restart']) {
    app.put<{ Params: { id: string } }>(url, { schema: restartSchema }, async (request): Promise<Status> => {
      await jobs.restart(request.principal, request.params.id);
      return { status: 'OK' };
    });
  }

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/duplicate',
    { schema: duplicateSchema },
    async (request): Promise<SubmittedJob> =>
      toSubmittedJob(await jobs.duplicate(request.principal, request.params.id), secretPolicy),
  );

  app.get<{ Params: { id: string }; Querystring: TaskPageQueryString }>(
    '/jobs/:id/tasks',
    { schema: tasksSchema },
    async (request): Promise<TaskPage> => {
      const { job, page } = await jobs.tasks(request.principal, request.params.id, {
        page: request.query.page ?? 1,
        size: request.query.size ?? DEFAULT_TASK_PAGE_SIZE,
        ...(request.query.parentId === undefined ? {} : { parentId: request.query.parentId }),
      });
      return toTaskPage(job, page, secretPolicy);
    },
  );

  for (const url of ['/job/:id/log', '/jobs/:id/log']) {
    app.get<{ Params: { id: string }; Querystring: LogQueryString }>(
      url,
      { schema: jobLogSchema, config: { acceptsStreamToken: true } },
      async (request, reply): Promise<LogPage | undefined> => {
        if (request.query.follow === true) {
          await options.streams.jobLog(request, reply, request.params.id);
          return undefined;
        }
        const { job, page } = await jobs.logs(request.principal, request.params.id, {
          page: request.query.page ?? 1,
          size: request.query.size ?? DEFAULT_LOG_PAGE_SIZE,
        });
        return toLogPage(page, jobSecrets(job, secretPolicy));
      },
    );
  }

  app.get<{ Querystring: JobListQueryString }>(
    '/jobs',
    { schema: listSchema },
    async (request): Promise<JobPage> => {
      const { q, state, scheduledJobId } = request.query;
      const page = await jobs.list(request.principal, {
        page: request.query.page ?? 1,
        size: request.query.size ?? DEFAULT_PAGE_SIZE,
        ...(q === undefined ? {} : { q }),
        ...(scheduledJobId === undefined ? {} : { scheduledJobId }),
        ...(state === undefined ? {} : { states: parseStates(state) }),
      });
      return { ...page, items: page.items.map(toJobSummary) };
    },
  );

  return Promise.resolve();
}

/** `state=RUNNING` or `state=FAILED,CANCELLED`, any case. */
function parseStates(text: string): JobState[] {
  const names = text
    .split(',')
    .map((name) => name.trim().toUpperCase())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(JOB_STATES as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new TorkError(
      'INVALID_INPUT',
      `state: ${unknown.join(', ')} is not a job state (${JOB_STATES.join(', ')})`,
    );
  return names as JobState[];
}
