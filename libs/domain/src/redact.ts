import type { AuxTaskSpec, EnvSpec, TaskSpec } from './job-spec/types.js';
import { isEncrypted } from './keyring.js';
import type { WebhookSpec } from './webhooks/webhook.js';

/** What a secret value is replaced with in API responses and logs. */
export const REDACTED = '[REDACTED]';

/** Parts of env names (any case) that mark a value secret, unless `-secret-key-patterns` replaces them. */
export const DEFAULT_SECRET_KEY_PATTERNS: readonly string[] = [
  'SECRET',
  'PASSWORD',
  'PASSWD',
  'ACCESS_KEY',
  'PRIVATE_KEY',
  'API_KEY',
  'APIKEY',
  'TOKEN',
  'CREDENTIAL',
  'AUTH',
];

/** Which env values are secret: those whose key contains one of the patterns (any case). */
export class SecretPolicy {
  private readonly matcher: RegExp;

  constructor(readonly keyPatterns: readonly string[] = DEFAULT_SECRET_KEY_PATTERNS) {
    const escaped = keyPatterns.map((pattern) => pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.matcher = escaped.length === 0 ? /$^/ : new RegExp(escaped.join('|'), 'i');
  }

  isSecretKey(key: string): boolean {
    return this.matcher.test(key);
  }

  /** A header whose name marks its value secret: as an env name, `-` read as `_` (`X-Api-Key`). */
  isSecretHeader(name: string): boolean {
    return this.matcher.test(name) || this.matcher.test(name.replaceAll('-', '_'));
  }
}

export const DEFAULT_SECRET_POLICY = new SecretPolicy();

/** True when `key` names a secret under the default patterns. */
export function isSecretKey(key: string): boolean {
  return DEFAULT_SECRET_POLICY.isSecretKey(key);
}

// scheme://user:password@ — the password stops at what cannot be in it unencoded.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)([^\s/?#@]+)@/gi;

/** The passwords of URLs in `text` (`postgres://user:pw@host` → `pw`), also percent-decoded. */
export function urlPasswords(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(URL_PASSWORD)) {
    const password = match[2] ?? '';
    found.push(password);
    const decoded = decodeOr(password);
    if (decoded !== password) found.push(decoded);
  }
  return found;
}

/** `text` with the password of every URL in it replaced by {@link REDACTED}. */
export function redactUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/** A copy of `env`: secret and encrypted values replaced by {@link REDACTED}, URL passwords masked in the rest. */
export function redactEnv(env: Readonly<EnvSpec>, policy: SecretPolicy = DEFAULT_SECRET_POLICY): EnvSpec {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [
      key,
      policy.isSecretKey(key) || isEncrypted(value) ? REDACTED : redactUrlPasswords(value),
    ]),
  );
}

/** Replaces every occurrence of every non-empty secret value in `text` by {@link REDACTED}. */
export function redactText(text: string, secrets: readonly string[]): string {
  // Longest first, so a secret that contains another one is replaced whole.
  const ordered = [...new Set(secrets)].filter((secret) => secret !== '').sort((a, b) => b.length - a.length);
  return ordered.reduce((redacted, secret) => redacted.replaceAll(secret, REDACTED), text);
}

/**
 * The secret values of a task and of its pre and post tasks: values of secret keys, URL
 * passwords, and `extra` (values known to be secret otherwise, e.g. those that came encrypted).
 */
export function secretValues(
  spec: TaskSpec,
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
  extra: readonly string[] = [],
): string[] {
  const steps: readonly (TaskSpec | AuxTaskSpec)[] = [spec, ...(spec.pre ?? []), ...(spec.post ?? [])];
  const envs = [...steps, ...(spec.sidecars ?? [])].map((step) => step.env ?? {});
  const values = envs.flatMap((env) =>
    Object.entries(env).flatMap(([key, value]) => [
      ...(policy.isSecretKey(key) && !isEncrypted(value) ? [value] : []),
      ...urlPasswords(value),
    ]),
  );
  const passwords = steps.flatMap((step) =>
    step.registry === undefined || isEncrypted(step.registry.password) ? [] : [step.registry.password],
  );
  return [...new Set([...values, ...passwords, ...extra])].filter((value) => value !== '');
}

/**
 * A copy of a task spec with the secret env values of the task, its pre and post tasks, its
 * sidecars and the tasks it runs redacted, and every registry password; a sub-job's secrets are
 * all redacted.
 */
export function redactTaskSpec(spec: TaskSpec, policy: SecretPolicy = DEFAULT_SECRET_POLICY): TaskSpec {
  const copy: TaskSpec = withRedactedEnv(spec, policy);
  if (spec.pre !== undefined) copy.pre = spec.pre.map((step) => withRedactedEnv(step, policy));
  if (spec.post !== undefined) copy.post = spec.post.map((step) => withRedactedEnv(step, policy));
  if (spec.sidecars !== undefined)
    copy.sidecars = spec.sidecars.map((sidecar) =>
      sidecar.env === undefined ? { ...sidecar } : { ...sidecar, env: redactEnv(sidecar.env, policy) },
    );
  const children = (tasks: readonly TaskSpec[]): TaskSpec[] =>
    tasks.map((task) => redactTaskSpec(task, policy));
  if (spec.parallel !== undefined) copy.parallel = { tasks: children(spec.parallel.tasks) };
  if (spec.each !== undefined) copy.each = { ...spec.each, task: redactTaskSpec(spec.each.task, policy) };
  if (spec.subjob !== undefined) {
    const { secrets, webhooks } = spec.subjob;
    copy.subjob = {
      ...spec.subjob,
      tasks: children(spec.subjob.tasks),
      ...(secrets === undefined ? {} : { secrets: redactAll(secrets) }),
      ...(webhooks === undefined ? {} : { webhooks: redactWebhooks(webhooks, policy) }),
    };
  }
  return copy;
}

/**
 * Webhooks as views show them: a header value that is encrypted, secret by its name, or holds one
 * of `secrets` is {@link REDACTED}; URL passwords are masked in the rest and in the URL.
 */
export function redactWebhooks(
  webhooks: readonly WebhookSpec[],
  policy: SecretPolicy = DEFAULT_SECRET_POLICY,
  secrets: readonly string[] = [],
): WebhookSpec[] {
  return webhooks.map((webhook) => {
    const copy: WebhookSpec = { ...webhook, url: redactText(redactUrlPasswords(webhook.url), secrets) };
    if (webhook.headers !== undefined)
      copy.headers = Object.fromEntries(
        Object.entries(webhook.headers).map(([name, value]) => {
          if (policy.isSecretHeader(name) || isEncrypted(value)) return [name, REDACTED];
          const masked = redactText(redactUrlPasswords(value), secrets);
          return [name, masked === value ? value : REDACTED];
        }),
      );
    return copy;
  });
}

/** Every value replaced by {@link REDACTED}: job and sub-job secrets. */
export function redactAll(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).map((key) => [key, REDACTED]));
}

function withRedactedEnv<T extends TaskSpec | AuxTaskSpec>(spec: T, policy: SecretPolicy): T {
  const copy: T = spec.env === undefined ? { ...spec } : { ...spec, env: redactEnv(spec.env, policy) };
  if (spec.registry !== undefined) copy.registry = { ...spec.registry, password: REDACTED };
  return copy;
}

function decodeOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
