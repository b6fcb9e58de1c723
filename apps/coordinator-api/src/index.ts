export { buildApi, DEFAULT_BODY_LIMIT, type ApiDeps, type AuthSettings } from './api.js';
export type { AnonymousAccess } from './auth/auth.plugin.js';
export type { ErrorBody } from './schemas/common.schemas.js';
export type { Health } from './schemas/health.schemas.js';
export type { JobPage, JobSummary, JobView, SubmittedJob } from './schemas/jobs.schemas.js';
export type { TaskView } from './schemas/tasks.schemas.js';
export { toJobSummary, toJobView, toSubmittedJob, toTaskView } from './views.js';
