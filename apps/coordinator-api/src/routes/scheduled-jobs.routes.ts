import { Type } from '@sinclair/typebox';
import type { JobSpecFormat, SecretPolicy } from '@tork/domain';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { JOB_SPEC_MEDIA_TYPE_NAMES, JOB_SPEC_MEDIA_TYPES, unsupportedMediaType } from '../media-types.js';
import { toScheduledJobView } from '../scheduled-job-views.js';
import type { ScheduledJobPage, ScheduledJobView } from '../schemas/scheduled-jobs.schemas.js';
import { PageQuerySchema, type PageQueryString, type Status } from '../schemas/common.schemas.js';
import { refs } from '../schemas/shared-schemas.js';
import type { ScheduleService } from '../services/schedule.service.js';

export interface ScheduledJobsRoutesOptions {
  readonly schedules: ScheduleService;
  /** Which env values views redact. */
  readonly secretPolicy: SecretPolicy;
}

/** A submitted body, still text: the domain parser is its one validator. */
interface SpecText {
  readonly format: JobSpecFormat;
  readonly text: string;
}

const DEFAULT_PAGE_SIZE = 10;
const TAGS = ['scheduled jobs'];
const IdParams = Type.Object({ id: Type.String({ description: 'The scheduled job id.' }) });
const scheduledJob = Type.Ref('ScheduledJob', { description: 'The scheduled job.' });
const notFound = refs.error('No scheduled job has this id that the caller may see.');

const createSchema: FastifySchema = {
  summary: 'Schedule a job',
  description:
    'Stores a job spec (without `wait`) with `schedule: {cron, timezone?}`, ACTIVE. Each tick of the cron creates one job from it, carrying `schedule {id, cron}`; a tick missed while no scheduler ran is skipped but for the latest. Accepts JSON or YAML.',
  tags: TAGS,
  consumes: JOB_SPEC_MEDIA_TYPE_NAMES,
  body: Type.Ref('ScheduledJobSpec'),
  response: {
    200: scheduledJob,
    400: refs.error(
      'The scheduled job is invalid: every problem is listed with its path (e.g. `schedule.cron`).',
    ),
    413: refs.error('The body is larger than the limit.'),
    415: refs.error('The body is neither JSON nor YAML.'),
  },
};

const listSchema: FastifySchema = {
  summary: 'List the scheduled jobs the caller may see, newest first',
  tags: TAGS,
  querystring: PageQuerySchema,
  response: { 200: Type.Ref('ScheduledJobPage', { description: 'One page of scheduled jobs.' }) },
};

const getSchema: FastifySchema = {
  summary: 'Get a scheduled job with its next fire times',
  tags: TAGS,
  params: IdParams,
  response: { 200: scheduledJob, 404: notFound },
};

const stateSchema = (summary: string, from: string): FastifySchema => ({
  summary,
  tags: TAGS,
  params: IdParams,
  response: { 200: refs.status, 400: refs.error(`The scheduled job is not ${from}.`), 404: notFound },
});

const deleteSchema: FastifySchema = {
  summary: 'Delete a scheduled job',
  description: 'No tick fires any more; the jobs it created stay.',
  tags: TAGS,
  params: IdParams,
  response: { 200: refs.status, 404: notFound },
};

/** POST/GET /scheduled-jobs, GET/DELETE /scheduled-jobs/{id}, PUT /scheduled-jobs/{id}/pause|resume. */
export function scheduledJobsRoutes(
  app: FastifyInstance,
  options: ScheduledJobsRoutesOptions,
): Promise<void> {
  const { schedules, secretPolicy } = options;
  const view = (scheduled: Parameters<typeof toScheduledJobView>[0]): ScheduledJobView =>
    toScheduledJobView(scheduled, new Date().toISOString(), secretPolicy);

  // Bodies reach the handler as text, so the domain parser sees exactly what was sent.
  app.removeAllContentTypeParsers();
  for (const [mediaType, format] of Object.entries(JOB_SPEC_MEDIA_TYPES)) {
    app.addContentTypeParser(mediaType, { parseAs: 'string' }, (_request, text, done) => {
      done(null, { format, text: text.toString() } satisfies SpecText);
    });
  }

  app.post<{ Body: SpecText | undefined }>(
    '/scheduled-jobs',
    { schema: createSchema, validatorCompiler: () => () => true },
    async (request): Promise<ScheduledJobView> => {
      const body = request.body;
      if (body === undefined) throw unsupportedMediaType(request.headers['content-type']);
      return view(await schedules.create(request.principal, body.text, body.format));
    },
  );

  app.get<{ Querystring: PageQueryString }>(
    '/scheduled-jobs',
    { schema: listSchema },
    async (request): Promise<ScheduledJobPage> => {
      const page = await schedules.list(request.principal, {
        page: request.query.page ?? 1,
        size: request.query.size ?? DEFAULT_PAGE_SIZE,
      });
      return { ...page, items: page.items.map(view) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/scheduled-jobs/:id',
    { schema: getSchema },
    async (request): Promise<ScheduledJobView> =>
      view(await schedules.get(request.principal, request.params.id)),
  );

  app.put<{ Params: { id: string } }>(
    '/scheduled-jobs/:id/pause',
    { schema: stateSchema('Pause a scheduled job: no tick fires until it is resumed', 'ACTIVE') },
    async (request): Promise<Status> => {
      await schedules.pause(request.principal, request.params.id);
      return { status: 'OK' };
    },
  );

  app.put<{ Params: { id: string } }>(
    '/scheduled-jobs/:id/resume',
    {
      schema: stateSchema(
        'Resume a paused scheduled job: the ticks missed while paused never fire; the next one does',
        'PAUSED',
      ),
    },
    async (request): Promise<Status> => {
      await schedules.resume(request.principal, request.params.id);
      return { status: 'OK' };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/scheduled-jobs/:id',
    { schema: deleteSchema },
    async (request): Promise<Status> => {
      await schedules.delete(request.principal, request.params.id);
      return { status: 'OK' };
    },
  );

  return Promise.resolve();
}
