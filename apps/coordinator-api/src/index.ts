export { buildApi, DEFAULT_BODY_LIMIT, type ApiDeps, type AuthSettings } from './api.js';
export type { AnonymousAccess } from './auth/auth.plugin.js';
export type { ErrorBody, Health, JobPage, JobSummary, JobView, SubmittedJob, TaskView } from './schemas.js';
export { toJobSummary, toJobView, toSubmittedJob, toTaskView } from './views.js';
