import { isEncrypted, type Job, type Keyring } from '@tork/domain';

/** A job's secrets in clear, by name; those this process cannot decrypt (no key) are left out. */
export function jobSecretsInClear(job: Job, keyring: Keyring | undefined): Record<string, string> {
  const clear: Record<string, string> = {};
  for (const [name, value] of Object.entries(job.secrets ?? {})) {
    if (!isEncrypted(value)) clear[name] = value;
    else if (keyring !== undefined) clear[name] = keyring.decrypt(value);
  }
  return clear;
}
