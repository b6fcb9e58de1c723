import { REDACTED } from '../redact.js';
import type { AuxTaskSpec, EnvSpec, TaskSpec } from '../job-spec/types.js';
import type { Task } from '../task.js';

/**
 * A task whose expressions read the job's secrets holds their values once evaluated. Before it is
 * stored or sent: an env value that holds one is sealed (encrypted, when the engine has a key: the
 * worker decrypts it and masks it), or else its secrets are listed in `masks` for the worker to
 * mask; a secret in any other field (a name, an image, a queue) would be shown and logged
 * everywhere, so such a task fails instead, naming the field.
 */
export function sealSecrets(task: Task, secrets: readonly string[], seal?: (value: string) => string): Task {
  const present = secrets.filter((secret) => secret.length > 0);
  if (present.length === 0 || task.kind !== 'task') return task;
  const holds = (value: string | undefined): boolean =>
    value !== undefined && present.some((secret) => value.includes(secret));
  const shown = shownFields(task.spec).filter(([, value]) => holds(value));
  if (shown.length > 0) {
    const fields = shown.map(([field]) => field).join(', ');
    return {
      ...task,
      state: 'FAILED',
      failedAt: task.createdAt,
      error: `a secret may be used only in env values; it is in ${fields} (${REDACTED})`,
      failure: { kind: 'rejected' },
    };
  }
  const masks = new Set<string>();
  const sealEnv = (env: EnvSpec | undefined): EnvSpec | undefined => {
    if (env === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(env).map(([key, value]) => {
        if (!holds(value)) return [key, value];
        if (seal !== undefined) return [key, seal(value)];
        for (const secret of present) if (value.includes(secret)) masks.add(secret);
        return [key, value];
      }),
    );
  };
  const sealStep = <T extends TaskSpec | AuxTaskSpec>(step: T): T => {
    const env = sealEnv(step.env);
    return env === undefined ? step : { ...step, env };
  };
  const spec: TaskSpec = sealStep(task.spec);
  if (task.spec.pre !== undefined) spec.pre = task.spec.pre.map(sealStep);
  if (task.spec.post !== undefined) spec.post = task.spec.post.map(sealStep);
  return { ...task, spec, ...(masks.size === 0 ? {} : { masks: [...masks] }) };
}

/** The fields of a regular task that views and logs show as they are. */
function shownFields(spec: TaskSpec): [string, string | undefined][] {
  const args = (cmd: readonly string[] | undefined, at: string): [string, string][] =>
    (cmd ?? []).map((arg, i) => [`${at}[${i}]`, arg]);
  return [
    ['name', spec.name],
    ['image', spec.image],
    ['queue', spec.queue],
    ['var', spec.var],
    ['run', spec.run],
    ...args(spec.cmd, 'cmd'),
    ...(spec.pre ?? []).flatMap((step, i): [string, string | undefined][] => [
      [`pre[${i}].name`, step.name],
      [`pre[${i}].image`, step.image],
      ...args(step.cmd, `pre[${i}].cmd`),
    ]),
    ...(spec.post ?? []).flatMap((step, i): [string, string | undefined][] => [
      [`post[${i}].name`, step.name],
      [`post[${i}].image`, step.image],
      ...args(step.cmd, `post[${i}].cmd`),
    ]),
  ];
}
