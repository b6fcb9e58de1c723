import { isEncrypted, sealSecrets, type Job, type Keyring, type Task } from '@tork/domain';

/** Jobs whose secrets a scheduler keeps in clear at once (the jobs it is moving on). */
const SECRETS_REMEMBERED = 1000;
/** What a secret reads as without the key to decrypt it (as in Tork). */
const ENCRYPTED = '[encrypted]';

/**
 * The scheduler's side of job secrets: read in clear for expressions (remembered per job, as they
 * never change), and sealed again in what it stores (a sub-job, a new task's env).
 */
export class JobSecrets {
  private readonly clear = new Map<string, Record<string, string>>();

  constructor(private readonly keyring: Keyring | undefined) {}

  /** A job's secrets in clear; without the key, `[encrypted]`, as Tork reads them. */
  inClear(job: Job): Record<string, string> {
    const known = this.clear.get(job.id);
    if (known !== undefined) return known;
    const { keyring } = this;
    const secrets = Object.fromEntries(
      Object.entries(job.secrets ?? {}).map(([name, value]) => {
        if (!isEncrypted(value)) return [name, value];
        // Without the key the value never leaves its envelope here.
        if (keyring === undefined) return [name, ENCRYPTED];
        return [name, keyring.decrypt(value)];
      }),
    );
    if (this.clear.size >= SECRETS_REMEMBERED) this.clear.delete(this.clear.keys().next().value ?? '');
    this.clear.set(job.id, secrets);
    return secrets;
  }

  /** A sub-job's secrets, evaluated in clear, are encrypted before it is stored, as the API does. */
  sealJob(job: Job): Job {
    const { keyring } = this;
    if (keyring === undefined || job.secrets === undefined) return job;
    const secrets = Object.fromEntries(
      Object.entries(job.secrets).map(([name, value]) => [
        name,
        isEncrypted(value) ? value : keyring.encrypt(value),
      ]),
    );
    return { ...job, secrets };
  }

  /** Encrypts (or lists for masking) the job's secrets a new task's env holds, before it is stored. */
  sealTask(task: Task): Task {
    const secrets = this.clear.get(task.jobId);
    if (secrets === undefined) return task;
    const { keyring } = this;
    const values = Object.values(secrets).filter((value) => value !== ENCRYPTED);
    return sealSecrets(task, values, keyring === undefined ? undefined : (value) => keyring.encrypt(value));
  }
}
