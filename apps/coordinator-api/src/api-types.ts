/**
 * The shapes of the API's request and response bodies, for its clients (the web dashboard): types
 * only, derived from the schemas the API validates and serializes with, so they cannot drift.
 */
export type {
  ErrorBody,
  JobPage,
  JobSummary,
  JobView,
  LogPage,
  NodeView,
  SubmittedJob,
  TaskPage,
  TaskView,
} from './schemas.js';
export type { ScheduledJobPage, ScheduledJobView } from './scheduled-job.schemas.js';
export type { QueueInfo } from '@tork/domain';
