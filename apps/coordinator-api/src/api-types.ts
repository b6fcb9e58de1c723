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
  SubmittedJob,
  TaskPage,
  TaskView,
} from './schemas.js';
export type { NodeView } from './routes/nodes.routes.js';
export type { QueueInfo } from '@tork/domain';
