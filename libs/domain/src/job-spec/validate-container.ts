import { formatDuration, parseDuration } from '../duration.js';
import type { Problem } from '../errors.js';
import { ENVELOPE_PREFIX, isEncrypted } from '../keyring.js';
import { hasExpressions } from '../workflow/templates.js';
import { TASK_FIELD_LIMITS } from './container-fields.schema.js';
import { checkTemplate, isRecord } from './field-checks.js';

/**
 * What the schema cannot say about a task's container fields (container-fields.schema.ts): paths, a
 * mount's source by its type, the size of all files together, sidecar names. These work on the
 * decoded body, before it is typed: a value of the wrong type is the schema's problem, skipped here.
 * Expressions: `cmd` is evaluated (resolve-task.ts), as in Tork; `entrypoint`, `workdir`, `gpus`
 * and sidecars are not, so `{{` there is refused; `files` are written as given (a file may be a
 * template of its own); registry credentials are taken as given.
 */

/** Mount paths: absolute, of the characters Tork allows (`^[-/.0-9a-zA-Z_= ]+$`). */
const MOUNT_PATH = /^\/[-/.0-9a-zA-Z_= ]*$/;
/** The directory the runtime owns in every container (output, progress, the script). */
const RUNTIME_DIR = '/tork';
const RUNTIME_DIR_PROBLEM = `must not be ${RUNTIME_DIR} or under it: the engine uses it`;
/** A sidecar's name is its host name on the task's network. */
const SLUG = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** The longest a sidecar's probe may wait for its 200. */
export const MAX_PROBE_TIMEOUT_MS = 3_600_000;

/** The container fields of a regular task: its own, then those of each pre and post task. */
export function checkTaskContainer(task: Record<string, unknown>, path: string): Problem[] {
  const problems = checkStep(task, path);
  problems.push(...checkMounts(task['mounts'], task['volumes'], path));
  refuseExpressions(task['gpus'], `${path}.gpus`, problems);
  const sidecars = task['sidecars'];
  if (Array.isArray(sidecars)) problems.push(...checkSidecars(sidecars, `${path}.sidecars`));
  for (const kind of ['pre', 'post'] as const) {
    const steps = task[kind];
    if (!Array.isArray(steps)) continue;
    steps.forEach((step: unknown, index) => {
      if (isRecord(step)) problems.push(...checkStep(step, `${path}.${kind}[${index}]`));
    });
  }
  return problems;
}

/** What one container runs: the task itself, or a pre or post task. */
function checkStep(step: Record<string, unknown>, path: string): Problem[] {
  const problems = checkCommand(step, path);
  const cmd = step['cmd'];
  if (Array.isArray(cmd))
    cmd.forEach((arg: unknown, index) => {
      checkTemplate(arg, `${path}.cmd[${index}]`, problems);
    });
  const workdir = step['workdir'];
  if (typeof workdir === 'string' && workdir !== '') {
    const problem = absolutePathProblem(workdir);
    if (problem !== undefined) problems.push({ path: `${path}.workdir`, message: problem });
    else refuseExpressions(workdir, `${path}.workdir`, problems);
  }
  problems.push(...checkFiles(step['files'], `${path}.files`));
  return problems;
}

/** `run` or `cmd`, not both; `entrypoint` without expressions. */
function checkCommand(step: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [];
  if (step['run'] !== undefined && step['cmd'] !== undefined)
    problems.push({
      path: `${path}.cmd`,
      message: 'give `run` (a script) or `cmd` (a command), not both; `entrypoint` runs either',
    });
  const entrypoint = step['entrypoint'];
  if (Array.isArray(entrypoint))
    entrypoint.forEach((arg: unknown, index) => {
      refuseExpressions(arg, `${path}.entrypoint[${index}]`, problems);
    });
  return problems;
}

function checkFiles(files: unknown, path: string): Problem[] {
  if (!isRecord(files)) return [];
  const problems: Problem[] = [];
  let total = 0;
  for (const [name, content] of Object.entries(files)) {
    // Reported on `files`: a path ending in `.files...` would read as a typo.
    if (name === '.' || name === '..') problems.push({ path, message: `"${name}" is not a file name` });
    if (typeof content === 'string') total += Buffer.byteLength(content);
  }
  if (total > TASK_FIELD_LIMITS.filesTotalLength)
    problems.push({
      path,
      message: `hold ${total} bytes in all; at most ${TASK_FIELD_LIMITS.filesTotalLength}`,
    });
  return problems;
}

/** The mounts of a task at `${base}.mounts`; its `volumes` are mounts too. */
function checkMounts(mounts: unknown, volumes: unknown, base: string): Problem[] {
  const problems: Problem[] = [];
  const path = `${base}.mounts`;
  const volumeTargets = Array.isArray(volumes)
    ? volumes.filter((v): v is string => typeof v === 'string')
    : [];
  const targets = new Set(volumeTargets.map(normal));
  volumeTargets.forEach((volume, index) => {
    if (isRuntimeDir(volume))
      problems.push({ path: `${base}.volumes[${index}]`, message: RUNTIME_DIR_PROBLEM });
  });
  if (!Array.isArray(mounts)) return problems;
  mounts.forEach((mount: unknown, index) => {
    if (!isRecord(mount)) return;
    const at = `${path}[${index}]`;
    const { type, source, target } = mount;
    if (typeof target === 'string' && target !== '') {
      const problem =
        mountPathProblem(target) ??
        (target === '/' ? 'must not be /' : undefined) ??
        (isRuntimeDir(target) ? RUNTIME_DIR_PROBLEM : undefined) ??
        (targets.has(normal(target)) ? 'is the target of another mount or volume of this task' : undefined);
      if (problem !== undefined) problems.push({ path: `${at}.target`, message: problem });
      targets.add(normal(target));
    }
    if (type === 'bind') {
      if (source === undefined) problems.push({ path: `${at}.source`, message: 'required for a bind mount' });
      else if (typeof source === 'string' && source !== '') {
        const problem = mountPathProblem(source);
        if (problem !== undefined) problems.push({ path: `${at}.source`, message: problem });
      }
    } else if ((type === 'volume' || type === 'tmpfs') && source !== undefined) {
      problems.push({
        path: `${at}.source`,
        message: `not allowed on a ${type} mount: the engine creates it for the task`,
      });
    }
  });
  return problems;
}

function checkSidecars(sidecars: readonly unknown[], path: string): Problem[] {
  const problems: Problem[] = [];
  const names = new Set<string>();
  sidecars.forEach((sidecar: unknown, index) => {
    if (!isRecord(sidecar)) return;
    const at = `${path}[${index}]`;
    const name = sidecar['name'];
    if (typeof name === 'string' && name !== '') {
      if (!SLUG.test(name))
        problems.push({
          path: `${at}.name`,
          message: `must be a host name: lower-case letters, digits and inner "-" (e.g. "${slug(name)}")`,
        });
      else if (names.has(name))
        problems.push({ path: `${at}.name`, message: `another sidecar of this task is named "${name}"` });
      names.add(name);
    }
    problems.push(...checkCommand(sidecar, at));
    refuseExpressions(sidecar['image'], `${at}.image`, problems);
    const cmd = sidecar['cmd'];
    if (Array.isArray(cmd))
      cmd.forEach((arg: unknown, i) => {
        refuseExpressions(arg, `${at}.cmd[${i}]`, problems);
      });
    const env = sidecar['env'];
    if (isRecord(env))
      for (const [key, value] of Object.entries(env)) {
        if (typeof value === 'string' && isEncrypted(value))
          problems.push({ path: `${at}.env.${key}`, message: `may not start with "${ENVELOPE_PREFIX}"` });
        else refuseExpressions(value, `${at}.env.${key}`, problems);
      }
    const probe = sidecar['probe'];
    const timeout = isRecord(probe) ? probe['timeout'] : undefined;
    if (typeof timeout === 'string') {
      const ms = parseDuration(timeout);
      const problem =
        ms === undefined
          ? `"${timeout.slice(0, 32)}" is not a duration (e.g. 30s)`
          : ms <= 0
            ? 'must be more than 0'
            : ms > MAX_PROBE_TIMEOUT_MS
              ? `must be at most ${formatDuration(MAX_PROBE_TIMEOUT_MS)}`
              : undefined;
      if (problem !== undefined) problems.push({ path: `${at}.probe.timeout`, message: problem });
    }
  });
  return problems;
}

/** Tork's slug of a name: lower case, runs of other characters become one `-`. */
export function slug(name: string): string {
  const slugged = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slugged === '' ? 'sidecar' : slugged.slice(0, 63).replace(/-+$/, '');
}

function absolutePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path';
  if (path.split('/').includes('..')) return 'must not have a ".." segment';
  if (path.includes('\u0000')) return 'must not hold a NUL character';
  return undefined;
}

function mountPathProblem(path: string): string | undefined {
  return (
    absolutePathProblem(path) ??
    (MOUNT_PATH.test(path) ? undefined : 'may hold only letters, digits, spaces and -/._=')
  );
}

function isRuntimeDir(path: string): boolean {
  const target = normal(path);
  return target === RUNTIME_DIR || target.startsWith(`${RUNTIME_DIR}/`);
}

/** `/a//b/./c/` → `/a/b/c`: how Docker reads a mount path. */
function normal(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  return `/${segments.join('/')}`;
}

function refuseExpressions(value: unknown, path: string, problems: Problem[]): void {
  if (typeof value === 'string' && hasExpressions(value))
    problems.push({
      path,
      message: 'expressions ({{ }}) are not evaluated here; pass values to the task through `env`',
    });
}
