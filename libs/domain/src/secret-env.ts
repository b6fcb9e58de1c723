import { errorMessage, TorkError } from './errors.js';
import type { AuxTaskSpec, EnvSpec, JobSpec, TaskSpec } from './job-spec/types.js';
import { isEncrypted, type Keyring } from './keyring.js';
import { urlPasswords, type SecretPolicy } from './redact.js';
import { encryptWebhookHeaders } from './webhooks/webhook-secrets.js';

/**
 * A copy of a job spec whose secret env values (secret by key name, or holding a URL password),
 * sidecars' too, registry passwords and secret webhook header values are encrypted, as the API stores and sends them: only a
 * worker with the key reads them.
 */
export function encryptSecretEnv(spec: JobSpec, policy: SecretPolicy, keyring: Keyring): JobSpec {
  const encryptAll = (values: EnvSpec): EnvSpec =>
    mapValues(values, (_key, value) => (isEncrypted(value) ? value : keyring.encrypt(value)));
  const encrypt = (env: EnvSpec): EnvSpec =>
    mapValues(env, (key, value) =>
      !isEncrypted(value) && (policy.isSecretKey(key) || urlPasswords(value).length > 0)
        ? keyring.encrypt(value)
        : value,
    );
  const sealed = encryptWebhookHeaders(spec, policy, keyring);
  const { secrets } = sealed;
  return {
    ...sealed,
    tasks: sealed.tasks.map((task) =>
      mapRegistryPasswords(
        mapTaskEnv(task, (where) => (where === 'the sub-job secrets' ? encryptAll : encrypt)),
        (password) => (isEncrypted(password) ? password : keyring.encrypt(password)),
      ),
    ),
    // Job secrets are secret by definition, whatever their names.
    ...(secrets === undefined ? {} : { secrets: encryptAll(secrets) }),
  };
}

/**
 * A copy of a task spec with every encrypted env value and registry password decrypted, for the
 * container, and the secrets to mask: each plaintext, or of a URL its password. Throws a TorkError
 * naming the variable it cannot decrypt.
 */
export function decryptSecretEnv(
  spec: TaskSpec,
  keyring: Keyring | undefined,
): { spec: TaskSpec; secrets: string[] } {
  const secrets: string[] = [];
  const decrypted = mapTaskEnv(
    spec,
    (where) => (env) =>
      mapValues(env, (key, value) => {
        if (!isEncrypted(value)) return value;
        if (keyring === undefined)
          throw new TorkError(
            'INTERNAL',
            `cannot decrypt env ${key} of ${where}: this worker has no -encryption-key (see TORK_ENCRYPTION_KEYS)`,
          );
        try {
          const plaintext = keyring.decrypt(value);
          // A URL was encrypted for its password: mask that, as for a URL that came in clear.
          const passwords = urlPasswords(plaintext);
          secrets.push(...(passwords.length > 0 ? passwords : [plaintext]));
          return plaintext;
        } catch (error) {
          throw new TorkError('INTERNAL', `cannot decrypt env ${key} of ${where}: ${errorMessage(error)}`);
        }
      }),
  );
  const withRegistries = mapRegistryPasswords(decrypted, (password, where) => {
    if (!isEncrypted(password)) return password;
    if (keyring === undefined)
      throw new TorkError(
        'INTERNAL',
        `cannot decrypt the registry password of ${where}: this worker has no -encryption-key (see TORK_ENCRYPTION_KEYS)`,
      );
    try {
      const plaintext = keyring.decrypt(password);
      secrets.push(plaintext);
      return plaintext;
    } catch (error) {
      throw new TorkError(
        'INTERNAL',
        `cannot decrypt the registry password of ${where}: ${errorMessage(error)}`,
      );
    }
  });
  return { spec: withRegistries, secrets };
}

/**
 * Applies `change(where)` to the env of the task and of each of its pre and post tasks, and of the
 * tasks a composite task runs (a sub-job's secrets count as env of the task that runs it).
 */
function mapTaskEnv(spec: TaskSpec, change: (where: string) => (env: EnvSpec) => EnvSpec): TaskSpec {
  const step = <T extends TaskSpec | AuxTaskSpec>(task: T, where: string): T =>
    task.env === undefined ? task : { ...task, env: change(where)(task.env) };
  const copy: TaskSpec = { ...step(spec, 'the task') };
  if (spec.pre !== undefined) copy.pre = spec.pre.map((pre, index) => step(pre, `pre[${index}]`));
  if (spec.post !== undefined) copy.post = spec.post.map((post, index) => step(post, `post[${index}]`));
  if (spec.sidecars !== undefined)
    copy.sidecars = spec.sidecars.map((sidecar, index) => step(sidecar, `sidecars[${index}]`));
  const children = (tasks: readonly TaskSpec[]): TaskSpec[] => tasks.map((task) => mapTaskEnv(task, change));
  if (spec.parallel !== undefined) copy.parallel = { tasks: children(spec.parallel.tasks) };
  if (spec.each !== undefined) copy.each = { ...spec.each, task: mapTaskEnv(spec.each.task, change) };
  if (spec.subjob !== undefined) {
    const { secrets } = spec.subjob;
    copy.subjob = {
      ...spec.subjob,
      tasks: children(spec.subjob.tasks),
      ...(secrets === undefined ? {} : { secrets: change('the sub-job secrets')(secrets) }),
    };
  }
  return copy;
}

/** Applies `change` to the registry password of the task, its pre and post tasks and the tasks it runs. */
function mapRegistryPasswords(spec: TaskSpec, change: (password: string, where: string) => string): TaskSpec {
  const step = <T extends TaskSpec | AuxTaskSpec>(task: T, where: string): T =>
    task.registry === undefined
      ? task
      : { ...task, registry: { ...task.registry, password: change(task.registry.password, where) } };
  const copy: TaskSpec = { ...step(spec, 'the task') };
  if (spec.pre !== undefined) copy.pre = spec.pre.map((pre, index) => step(pre, `pre[${index}]`));
  if (spec.post !== undefined) copy.post = spec.post.map((post, index) => step(post, `post[${index}]`));
  const children = (tasks: readonly TaskSpec[]): TaskSpec[] =>
    tasks.map((task) => mapRegistryPasswords(task, change));
  if (spec.parallel !== undefined) copy.parallel = { tasks: children(spec.parallel.tasks) };
  if (spec.each !== undefined)
    copy.each = { ...spec.each, task: mapRegistryPasswords(spec.each.task, change) };
  if (spec.subjob !== undefined) copy.subjob = { ...spec.subjob, tasks: children(spec.subjob.tasks) };
  return copy;
}

function mapValues(env: EnvSpec, change: (key: string, value: string) => string): EnvSpec {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, change(key, value)]));
}
