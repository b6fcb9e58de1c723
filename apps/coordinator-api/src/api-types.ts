/**
 * The shapes of the API's request and response bodies, for its clients (the web dashboard): types
 * only, derived from the schemas the API validates and serializes with, so they cannot drift.
 */
export type { ErrorBody } from './schemas/common.schemas.js';
export type { JobPage, JobSummary, JobView, SubmittedJob } from './schemas/jobs.schemas.js';
export type { LogPage } from './schemas/logs.schemas.js';
export type { NodeView } from './schemas/nodes.schemas.js';
export type { TaskPage, TaskView } from './schemas/tasks.schemas.js';
export type { ScheduledJobPage, ScheduledJobView } from './schemas/scheduled-jobs.schemas.js';
export type { QueueInfo } from '@tork/domain';
