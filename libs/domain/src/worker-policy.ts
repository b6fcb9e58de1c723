import { formatDuration, parseDuration } from './duration.js';
import type { Problem } from './errors.js';
import type { AuxTaskSpec, TaskSpec } from './job-spec/types.js';
import type { RuntimeFeatures } from './ports/runtime.js';
import { formatSize, parseCpus, parseSize } from './size.js';

/**
 * What a worker allows beyond the job schema: its own ceilings and whether host paths may be
 * mounted. A worker refuses a task outside its policy (failure kind `rejected`, never retried);
 * an API started with the same flags refuses it at submission with 400.
 */
export interface WorkerPolicy {
  readonly maxCpus?: number;
  readonly maxMemoryBytes?: number;
  readonly maxTimeoutMs?: number;
  /** Host paths under which `bind` mounts may have their source; none: binds are refused. */
  readonly bindPrefixes?: readonly string[];
}

/** A task asking for fewer CPUs gets none in effect (Docker rounds it away): refused. */
export const MIN_CPUS = 0.01;

/**
 * The problems of a regular task (its own container fields) under a worker's policy, with paths
 * under `path`. Fields holding expressions are skipped: the worker checks them once evaluated.
 */
export function policyProblems(spec: TaskSpec, policy: WorkerPolicy, path: string): Problem[] {
  const problems: Problem[] = [];
  const cpusValue = spec.limits?.cpus;
  const cpus = cpusValue === undefined ? undefined : parseCpus(cpusValue);
  if (cpus !== undefined && cpus < MIN_CPUS)
    problems.push({ path: `${path}.limits.cpus`, message: `must be at least ${MIN_CPUS}` });
  if (cpus !== undefined && policy.maxCpus !== undefined && cpus > policy.maxCpus)
    problems.push({
      path: `${path}.limits.cpus`,
      message: `${cpus} is over this engine's ceiling of ${policy.maxCpus} (-max-cpus)`,
    });
  const memory = spec.limits?.memory === undefined ? undefined : parseSize(spec.limits.memory);
  if (memory !== undefined && policy.maxMemoryBytes !== undefined && memory > policy.maxMemoryBytes)
    problems.push({
      path: `${path}.limits.memory`,
      message: `${formatSize(memory)} is over this engine's ceiling of ${formatSize(policy.maxMemoryBytes)} (-max-memory)`,
    });
  const steps: readonly { readonly at: string; readonly timeout: string | undefined }[] = [
    { at: path, timeout: spec.timeout },
    ...(spec.pre ?? []).map((step, index) => ({ at: `${path}.pre[${index}]`, timeout: step.timeout })),
    ...(spec.post ?? []).map((step, index) => ({ at: `${path}.post[${index}]`, timeout: step.timeout })),
  ];
  for (const { at, timeout } of steps) {
    const ms = timeout === undefined ? undefined : parseDuration(timeout);
    if (ms !== undefined && policy.maxTimeoutMs !== undefined && ms > policy.maxTimeoutMs)
      problems.push({
        path: `${at}.timeout`,
        message: `${formatDuration(ms)} is over this engine's ceiling of ${formatDuration(policy.maxTimeoutMs)} (-max-timeout)`,
      });
  }
  for (const [index, mount] of (spec.mounts ?? []).entries()) {
    if (mount.type !== 'bind' || mount.source === undefined) continue;
    const at = `${path}.mounts[${index}].source`;
    const prefixes = policy.bindPrefixes ?? [];
    if (prefixes.length === 0)
      problems.push({
        path: at,
        message: 'bind mounts are not allowed on this engine (-mounts-bind-allowed)',
      });
    else if (!prefixes.some((prefix) => isUnder(mount.source ?? '', prefix)))
      problems.push({
        path: at,
        message: `"${mount.source}" is not under an allowed prefix (${prefixes.join(', ')})`,
      });
  }
  return problems;
}

/** Whether `path`, an absolute path without `..`, is `prefix` or under it. */
export function isUnder(path: string, prefix: string): boolean {
  const base = prefix.endsWith('/') && prefix !== '/' ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(base === '/' ? '/' : `${base}/`);
}

/**
 * The fields of a regular task that a runtime cannot honour, as problems under `path`: a worker
 * with that runtime fails the task with kind `rejected`; an API that knows its runtime says 400.
 */
export function unsupportedFieldProblems(spec: TaskSpec, features: RuntimeFeatures, path: string): Problem[] {
  const problems: Problem[] = [];
  const refuse = (field: string, what: string): void => {
    problems.push({ path: `${path}.${field}`, message: `this engine's runtime cannot honour ${what}` });
  };
  stepFields(spec, features, refuse);
  for (const [index, mount] of (spec.mounts ?? []).entries())
    if (!features.mounts.includes(mount.type)) refuse(`mounts[${index}]`, `a ${mount.type} mount`);
  if (!features.mounts.includes('volume') && (spec.volumes ?? []).length > 0) refuse('volumes', 'volumes');
  if (!features.networks && spec.networks !== undefined) refuse('networks', 'networks');
  if (!features.sidecars && spec.sidecars !== undefined) refuse('sidecars', 'sidecars');
  if (!features.gpus && spec.gpus !== undefined) refuse('gpus', 'GPUs (none is known to it)');
  if (!features.limits && spec.limits !== undefined) refuse('limits', 'limits');
  for (const kind of ['pre', 'post'] as const)
    for (const [index, step] of (spec[kind] ?? []).entries())
      stepFields(step, features, (field, what) => {
        problems.push({
          path: `${path}.${kind}[${index}].${field}`,
          message: `this engine's runtime cannot honour ${what}`,
        });
      });
  return problems;
}

function stepFields(
  spec: TaskSpec | AuxTaskSpec,
  features: RuntimeFeatures,
  refuse: (field: string, what: string) => void,
): void {
  if (!features.registry && spec.registry !== undefined) refuse('registry', 'a registry');
  if (!features.cmd && spec.cmd !== undefined) refuse('cmd', '`cmd`');
  if (!features.entrypoint && spec.entrypoint !== undefined) refuse('entrypoint', 'an entrypoint');
  if (!features.files && spec.files !== undefined) refuse('files', 'files');
  if (!features.workdir && spec.workdir !== undefined) refuse('workdir', 'a working directory');
  if (!features.user && spec.user !== undefined) refuse('user', 'a user');
}
