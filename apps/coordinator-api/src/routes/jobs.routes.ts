import type { JobSpecFormat, SecretPolicy } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { JOB_SPEC_MEDIA_TYPE_NAMES, JOB_SPEC_MEDIA_TYPES, unsupportedMediaType } from '../media-types.js';
import {
  JobIdParamsSchema,
  PageQuerySchema,
  refs,
  type JobPage,
  type JobView,
  type PageQueryString,
  type Status,
  type SubmittedJob,
} from '../schemas.js';
import type { JobService } from '../services/job.service.js';
import { toJobSummary, toJobView, toSubmittedJob } from '../views.js';

export interface JobsRoutesOptions {
  readonly jobs: JobService;
  /** Which env values views redact. */
  readonly secretPolicy: SecretPolicy;
}

/** A submitted body, still text: the domain parser is its one validator. */
interface SpecText {
  readonly format: JobSpecFormat;
  readonly text: string;
}

const DEFAULT_PAGE_SIZE = 10;

const submitSchema: FastifySchema = {
  summary: 'Submit a job',
  description: 'Validates the job, stores it as PENDING and queues it for scheduling. Accepts JSON or YAML.',
  tags: ['jobs'],
  consumes: JOB_SPEC_MEDIA_TYPE_NAMES,
  // Documents the body; it is validated by the domain parser, not by Fastify (see validatorCompiler below).
  body: refs.jobSpec,
  response: {
    200: refs.submittedJob,
    400: refs.error('The job is invalid: every problem is listed with its path.'),
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

const listSchema: FastifySchema = {
  summary: 'List the jobs the caller may see, newest first',
  tags: ['jobs'],
  querystring: PageQuerySchema,
  response: { 200: refs.jobPage, 400: refs.error('Invalid page or size.') },
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
      async (request): Promise<SubmittedJob> => {
        const body = request.body;
        if (body === undefined) throw unsupportedMediaType(request.headers['content-type']);
        return toSubmittedJob(await jobs.submit(request.principal, body.text, body.format), secretPolicy);
      },
    );
  }

  for (const url of ['/job/:id', '/jobs/:id']) {
    app.get<{ Params: { id: string } }>(url, { schema: getSchema }, async (request): Promise<JobView> => {
      const { job, tasks } = await jobs.get(request.principal, request.params.id);
      return toJobView(job, tasks, secretPolicy);
    });
  }

  for (const url of ['/job/:id/cancel', '/jobs/:id/cancel']) {
    app.put<{ Params: { id: string } }>(url, { schema: cancelSchema }, async (request): Promise<Status> => {
      await jobs.cancel(request.principal, request.params.id);
      return { status: 'OK' };
    });
  }

  app.get<{ Querystring: PageQueryString }>(
    '/jobs',
    { schema: listSchema },
    async (request): Promise<JobPage> => {
      const page = await jobs.list(
        request.principal,
        request.query.page ?? 1,
        request.query.size ?? DEFAULT_PAGE_SIZE,
      );
      return { ...page, items: page.items.map((job) => toJobSummary(job, secretPolicy)) };
    },
  );

  return Promise.resolve();
}
