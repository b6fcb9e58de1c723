import { TorkError, type Datastore, type JobSpec } from '@tork/domain';

/** Every `user` a spec's permissions name must be a stored user or API key: else 400 naming each. */
export async function checkPermissionUsers(datastore: Datastore, spec: JobSpec): Promise<void> {
  const named = (spec.permissions ?? []).flatMap((permission, index) =>
    'user' in permission ? [{ index, name: permission.user }] : [],
  );
  if (named.length === 0) return;
  const existing = new Set(await datastore.credentials.existingNames(named.map((entry) => entry.name)));
  const problems = named
    .filter((entry) => !existing.has(entry.name))
    .map((entry) => ({
      path: `permissions[${entry.index}].user`,
      message: `no user or API key is named "${entry.name}"`,
    }));
  if (problems.length > 0) throw TorkError.invalid(problems);
}
