import { JobSpecSchema, TaskSpecSchema } from '@tork/domain';
import { ErrorSchema, ref, StatusSchema } from './common.schemas.js';
import { HealthSchema } from './health.schemas.js';
import { JobPageSchema, JobSummarySchema, JobViewSchema, SubmittedJobSchema } from './jobs.schemas.js';
import { LogPageSchema } from './logs.schemas.js';
import { TaskPageSchema, TaskViewSchema } from './tasks.schemas.js';

/*
 * Response schemas of the API: the OpenAPI document and the response serializer both use them.
 * Task specs reuse the domain's job-spec schema, so what is accepted and what is shown agree.
 * Every field a view may carry must be listed in its resource's schema: the serializer drops the others.
 */

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
