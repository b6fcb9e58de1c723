import type { JobSpec, TaskSpec } from '../job-spec/types.js';
import { isEncrypted, type Keyring } from '../keyring.js';
import { urlPasswords, type SecretPolicy } from '../redact.js';
import { renderTemplate, type TemplateScope } from '../workflow/templates.js';
import type { WebhookSpec } from './webhook.js';

/**
 * A copy of a job spec whose secret webhook header values (secret by the header's name, or holding a
 * URL password), a sub-job's too, are encrypted, as env secrets are: only the scheduler reads them.
 */
export function encryptWebhookHeaders(spec: JobSpec, policy: SecretPolicy, keyring: Keyring): JobSpec {
  const seal = (webhooks: readonly WebhookSpec[]): WebhookSpec[] =>
    webhooks.map((webhook) =>
      webhook.headers === undefined
        ? { ...webhook }
        : {
            ...webhook,
            headers: Object.fromEntries(
              Object.entries(webhook.headers).map(([name, value]) => [
                name,
                !isEncrypted(value) && (policy.isSecretHeader(name) || urlPasswords(value).length > 0)
                  ? keyring.encrypt(value)
                  : value,
              ]),
            ),
          },
    );
  return {
    ...spec,
    tasks: spec.tasks.map((task) => mapSubjobWebhooks(task, seal)),
    ...(spec.webhooks === undefined ? {} : { webhooks: seal(spec.webhooks) }),
  };
}

/** Applies `change` to the webhooks of every sub-job a task runs, however deep. */
function mapSubjobWebhooks(
  spec: TaskSpec,
  change: (webhooks: readonly WebhookSpec[]) => WebhookSpec[],
): TaskSpec {
  const children = (tasks: readonly TaskSpec[]): TaskSpec[] =>
    tasks.map((task) => mapSubjobWebhooks(task, change));
  const copy: TaskSpec = { ...spec };
  if (spec.parallel !== undefined) copy.parallel = { tasks: children(spec.parallel.tasks) };
  if (spec.each !== undefined) copy.each = { ...spec.each, task: mapSubjobWebhooks(spec.each.task, change) };
  if (spec.subjob !== undefined) {
    const { webhooks } = spec.subjob;
    copy.subjob = {
      ...spec.subjob,
      tasks: children(spec.subjob.tasks),
      ...(webhooks === undefined ? {} : { webhooks: change(webhooks) }),
    };
  }
  return copy;
}

/**
 * The URL and headers a delivery is sent with: encrypted values decrypted, then every expression
 * evaluated in the job's scope (`inputs`, `secrets`, `job`). Throws when a value cannot be
 * decrypted (no key) or an expression fails.
 */
export function renderWebhookRequest(
  webhook: WebhookSpec,
  scope: TemplateScope,
  keyring: Keyring | undefined,
): { url: string; headers: Record<string, string> } {
  const reveal = (value: string): string => {
    if (!isEncrypted(value)) return value;
    if (keyring === undefined)
      throw new Error('a header is encrypted and this scheduler has no -encryption-key');
    return keyring.decrypt(value);
  };
  const headers = Object.fromEntries(
    Object.entries(webhook.headers ?? {}).map(([name, value]) => [
      name,
      renderTemplate(reveal(value), scope),
    ]),
  );
  return { url: renderTemplate(webhook.url, scope), headers };
}
