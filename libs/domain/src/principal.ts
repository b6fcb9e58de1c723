import type { Job } from './job.js';

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

export const PRINCIPAL_KINDS = ['key', 'user', 'anonymous'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** Who makes a request: an API key, a user (basic auth), or anyone when no credential is configured. */
export interface Principal {
  readonly kind: PrincipalKind;
  readonly name: string;
  readonly role: Role;
}

/** Every caller while no credential is configured: the engine behaves as it did before auth. */
export const ANONYMOUS_ADMIN: Principal = { kind: 'anonymous', name: 'anonymous', role: 'admin' };

/** Who submitted a job, as the job records it. */
export interface CreatedBy {
  readonly kind: PrincipalKind;
  readonly name: string;
}

/** One entry of a job's `permissions`: a role, or a user (a user's or an API key's name). */
export type Permission = { readonly role: Role } | { readonly user: string };

/** Who asks to see jobs: enough to decide visibility, in memory or in a query. */
export interface JobViewer {
  readonly name: string;
  readonly role: Role;
}

/**
 * As in Tork, a job without permissions is visible to everyone; one with permissions only to the
 * roles and users they name, its creator and admins. Seeing a job is what allows reading and
 * cancelling it (and restarting it, once jobs can be restarted).
 */
export function isJobVisibleTo(job: Pick<Job, 'createdBy' | 'permissions'>, viewer: JobViewer): boolean {
  if (job.permissions === undefined || viewer.role === 'admin') return true;
  if (job.createdBy?.name === viewer.name) return true;
  return job.permissions.some((permission) =>
    'role' in permission ? permission.role === viewer.role : permission.user === viewer.name,
  );
}

/** Names of users and API keys: letters, digits and `_.@-`, starting with a letter or digit. */
export const PRINCIPAL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
