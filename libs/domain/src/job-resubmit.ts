import type { Job } from './job.js';
import type { JobSpec } from './job-spec/types.js';
import type { Keyring } from './keyring.js';
import { isEncrypted } from './keyring.js';
import { decryptSecretEnv } from './secret-env.js';

/**
 * The spec a stored job was submitted with, to submit it again ("run again"): its definition
 * without its state. With the keyring, its encrypted values are read back in clear (to be encrypted
 * again with the current key); without one they stay as stored, for the workers to decrypt.
 */
export function resubmittableSpec(job: Job, keyring: Keyring | undefined): JobSpec {
  const spec: JobSpec = {
    ...(job.name === undefined ? {} : { name: job.name }),
    ...(job.description === undefined ? {} : { description: job.description }),
    ...(job.tags === undefined ? {} : { tags: [...job.tags] }),
    tasks: [...job.tasks],
    ...(job.inputs === undefined ? {} : { inputs: { ...job.inputs } }),
    ...(job.secrets === undefined ? {} : { secrets: { ...job.secrets } }),
    ...(job.output === undefined ? {} : { output: job.output }),
    ...(job.defaults === undefined ? {} : { defaults: job.defaults }),
    ...(job.autoDelete === undefined ? {} : { autoDelete: job.autoDelete }),
    ...(job.permissions === undefined ? {} : { permissions: [...job.permissions] }),
  };
  if (keyring === undefined) return spec;
  const secrets = spec.secrets;
  return {
    ...spec,
    tasks: spec.tasks.map((task) => decryptSecretEnv(task, keyring).spec),
    ...(secrets === undefined
      ? {}
      : {
          secrets: Object.fromEntries(
            Object.entries(secrets).map(([name, value]) => [
              name,
              isEncrypted(value) ? keyring.decrypt(value) : value,
            ]),
          ),
        }),
  };
}
