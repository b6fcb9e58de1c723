import type { AuxTaskSpec, EnvSpec, TaskSpec } from './job-spec.schema.js';

/** What a secret value is replaced with in API responses and logs. */
export const REDACTED = '[REDACTED]';

const SECRET_KEY = /SECRET|PASSWORD|ACCESS_KEY/i;

/** By Tork's convention, an env var whose name contains SECRET, PASSWORD or ACCESS_KEY (any case) holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A copy of `env` with the value of every secret key replaced by {@link REDACTED}. */
export function redactEnv(env: Readonly<EnvSpec>): EnvSpec {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, isSecretKey(key) ? REDACTED : value]),
  );
}

/** Replaces every occurrence of every non-empty secret value in `text` by {@link REDACTED}. */
export function redactText(text: string, secrets: readonly string[]): string {
  // Longest first, so a secret that contains another one is replaced whole.
  const ordered = [...new Set(secrets)].filter((secret) => secret !== '').sort((a, b) => b.length - a.length);
  return ordered.reduce((redacted, secret) => redacted.replaceAll(secret, REDACTED), text);
}

/** The secret values of a task and of its pre and post tasks. */
export function secretValues(spec: TaskSpec): string[] {
  const steps: readonly (TaskSpec | AuxTaskSpec)[] = [spec, ...(spec.pre ?? []), ...(spec.post ?? [])];
  const values = steps.flatMap((step) =>
    Object.entries(step.env ?? {}).flatMap(([key, value]) =>
      isSecretKey(key) && value !== '' ? [value] : [],
    ),
  );
  return [...new Set(values)];
}

/** A copy of a task spec with the secret env values of the task and its pre and post tasks redacted. */
export function redactTaskSpec(spec: TaskSpec): TaskSpec {
  const copy: TaskSpec = withRedactedEnv(spec);
  if (spec.pre !== undefined) copy.pre = spec.pre.map((step) => withRedactedEnv(step));
  if (spec.post !== undefined) copy.post = spec.post.map((step) => withRedactedEnv(step));
  return copy;
}

function withRedactedEnv<T extends TaskSpec | AuxTaskSpec>(spec: T): T {
  return spec.env === undefined ? { ...spec } : { ...spec, env: redactEnv(spec.env) };
}
