import {
  DEFAULT_SECRET_POLICY,
  encryptSecretEnv,
  errorMessage,
  isId,
  isJobActive,
  newJob,
  parseJobSpecText,
  QUEUE,
  TorkError,
  type Broker,
  type Datastore,
  type JobSpecFormat,
  type JobSpecPolicy,
  type Keyring,
  type SecretPolicy,
} from '@tork/domain';
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
import { toJobSummary, toJobView, toSubmittedJob } from '../views.js';

export interface JobsRoutesOptions {
  readonly datastore: Datastore;
  readonly broker: Broker;
  readonly policy?: JobSpecPolicy;
  readonly secretPolicy?: SecretPolicy;
  /** Encrypts secret env values before a job is stored; the API never decrypts. */
  readonly keyring?: Keyring;
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
    413: refs.error('The body is larger than the limit.'),
    415: refs.error('The body is neither JSON nor YAML.'),
  },
};

const getSchema: FastifySchema = {
  summary: 'Get a job with its task executions',
  tags: ['jobs'],
  params: JobIdParamsSchema,
  response: { 200: refs.job, 404: refs.error('No job has this id.') },
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
    404: refs.error('No job has this id.'),
  },
};

const listSchema: FastifySchema = {
  summary: 'List jobs, newest first',
  tags: ['jobs'],
  querystring: PageQuerySchema,
  response: { 200: refs.jobPage, 400: refs.error('Invalid page or size.') },
};

/** POST /job(s), GET /job(s)/{id}, GET /jobs. */
export function jobsRoutes(app: FastifyInstance, options: JobsRoutesOptions): Promise<void> {
  const { datastore, broker, keyring } = options;
  const secretPolicy = options.secretPolicy ?? DEFAULT_SECRET_POLICY;

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
        if (body.text.trim() === '')
          throw TorkError.invalid([{ path: 'body', message: 'required: the request body is empty' }]);
        const parsed = parseJobSpecText(body.text, body.format, options.policy);
        const spec = keyring === undefined ? parsed : encryptSecretEnv(parsed, secretPolicy, keyring);
        const job = newJob(spec, new Date().toISOString());
        await datastore.createJob(job);
        try {
          await broker.publish(QUEUE.jobs, { type: 'job.submitted', jobId: job.id });
        } catch (error) {
          // The job is stored: the scheduler's sweep sends a PENDING job whose message never left.
          // Answering an error here would invite a retry, and with it a second job.
          request.log.warn(
            { jobId: job.id, err: errorMessage(error) },
            'job stored but not queued; the sweep will queue it',
          );
        }
        request.log.info({ jobId: job.id }, 'job submitted');
        return toSubmittedJob(job, secretPolicy);
      },
    );
  }

  for (const url of ['/job/:id', '/jobs/:id']) {
    app.get<{ Params: { id: string } }>(url, { schema: getSchema }, async (request): Promise<JobView> => {
      const { id } = request.params;
      // Not an id we could have issued: no need to ask the datastore.
      const job = isId(id) ? await datastore.getJob(id) : undefined;
      if (job === undefined) throw TorkError.notFound('job', id);
      return toJobView(job, await datastore.listTasks(id), secretPolicy);
    });
  }

  for (const url of ['/job/:id/cancel', '/jobs/:id/cancel']) {
    app.put<{ Params: { id: string } }>(url, { schema: cancelSchema }, async (request): Promise<Status> => {
      const { id } = request.params;
      const job = isId(id) ? await datastore.getJob(id) : undefined;
      if (job === undefined) throw TorkError.notFound('job', id);
      if (!isJobActive(job.state)) {
        throw new TorkError(
          'INVALID_STATE',
          `job is ${job.state}: only a pending, scheduled or running job can be cancelled`,
        );
      }
      await broker.publish(QUEUE.jobs, { type: 'job.cancel', jobId: id });
      return { status: 'OK' };
    });
  }

  app.get<{ Querystring: PageQueryString }>(
    '/jobs',
    { schema: listSchema },
    async (request): Promise<JobPage> => {
      const page = await datastore.listJobs({
        page: request.query.page ?? 1,
        size: request.query.size ?? DEFAULT_PAGE_SIZE,
      });
      return { ...page, items: page.items.map((job) => toJobSummary(job, secretPolicy)) };
    },
  );

  return Promise.resolve();
}
