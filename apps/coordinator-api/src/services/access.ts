import { isId, isJobVisibleTo, TorkError, type Datastore, type Job, type Principal } from '@tork/domain';

/** 403 unless the caller is an admin: for the admin-only routes. */
export function requireAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw new TorkError('FORBIDDEN', 'only an admin may do this');
}

/**
 * The job, when it exists and the caller may see it; otherwise 404, the same either way, so that a
 * caller learns nothing of jobs they may not see.
 */
export async function visibleJob(datastore: Datastore, principal: Principal, id: string): Promise<Job> {
  const job = isId(id) ? await datastore.jobs.get(id) : undefined;
  if (job === undefined || !isJobVisibleTo(job, principal)) throw TorkError.notFound('job', id);
  return job;
}
