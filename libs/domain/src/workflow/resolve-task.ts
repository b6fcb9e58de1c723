import { TorkError, type Problem } from '../errors.js';
import { SPEC_LIMITS } from '../job-spec/spec-limits.js';
import type { AuxTaskSpec, JobDefaults, TaskSpec } from '../job-spec/types.js';
import { checkQueueName } from '../job-spec/validate-queue.js';
import type { Job, JobContext } from '../job.js';
import type { LoopItem } from '../task.js';
import { renderTemplate, type TemplateScope } from './templates.js';

/**
 * Evaluating a task's expressions when the scheduler creates it, as Tork does: `name`, `var`,
 * `image`, `queue`, env values, `if`, `cmd`, and the same fields of pre and post tasks. `run`,
 * `timeout`, `limits`, volumes, `entrypoint`, `files`, `workdir`, mounts, sidecars and `registry`
 * are never evaluated (pass values to a script through `env`). A composite
 * task's children are evaluated later, when they are created.
 */

/** What a task's expressions can read. */
export function taskScope(
  job: Pick<Job, 'id' | 'name'>,
  context: JobContext,
  bindings: Readonly<Record<string, LoopItem>> = {},
): TemplateScope {
  return {
    inputs: { ...context.inputs },
    secrets: { ...context.secrets },
    tasks: { ...context.tasks },
    job: { id: job.id, name: job.name ?? '' },
    ...Object.fromEntries(
      Object.entries(bindings).map(([name, item]) => [name, { index: item.index, value: item.value }]),
    ),
  };
}

/**
 * The spec as the task runs: expressions evaluated, the job's defaults filled in (regular tasks
 * only), and the evaluated values checked as a submitted spec is. Throws TorkError naming the
 * field when an expression fails or yields a value the spec does not allow.
 */
export function resolveTaskSpec(spec: TaskSpec, scope: TemplateScope, defaults?: JobDefaults): TaskSpec {
  const problems: Problem[] = [];
  const render = (text: string | undefined, path: string): string | undefined => {
    if (text === undefined) return undefined;
    try {
      return renderTemplate(text, scope);
    } catch (error) {
      problems.push({ path, message: error instanceof Error ? error.message : String(error) });
      return text;
    }
  };
  const resolved: TaskSpec = { ...spec };
  assign(resolved, 'name', render(spec.name, 'name'));
  assign(resolved, 'var', render(spec.var, 'var'));
  assign(resolved, 'if', render(spec.if, 'if'));
  const isContainer = spec.parallel === undefined && spec.each === undefined && spec.subjob === undefined;
  if (isContainer) {
    const withDefaults = applyDefaults(resolved, defaults);
    Object.assign(resolved, withDefaults);
    assign(resolved, 'image', render(spec.image, 'image'));
    assign(resolved, 'queue', render(withDefaults.queue, 'queue'));
    if (spec.env !== undefined) resolved.env = renderEnv(spec.env, 'env', render);
    if (spec.cmd !== undefined) resolved.cmd = renderArgs(spec.cmd, 'cmd', render);
    if (spec.pre !== undefined)
      resolved.pre = spec.pre.map((step, i) => renderAux(step, `pre[${i}]`, render));
    if (spec.post !== undefined)
      resolved.post = spec.post.map((step, i) => renderAux(step, `post[${i}]`, render));
    if (problems.length === 0) problems.push(...checkEvaluated(resolved));
  }
  if (resolved.var !== undefined && resolved.var.length > SPEC_LIMITS.varLength)
    problems.push({ path: 'var', message: `must be at most ${SPEC_LIMITS.varLength} characters` });
  if (problems.length > 0) {
    const summary = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
    throw new TorkError('INVALID_INPUT', `the task's expressions did not evaluate: ${summary}`, { problems });
  }
  return resolved;
}

/** Whether a resolved task is skipped: its `if` evaluated to exactly `false` (trimmed). */
export function isSkipped(spec: TaskSpec): boolean {
  return spec.if !== undefined && spec.if.trim() === 'false';
}

function applyDefaults(spec: TaskSpec, defaults: JobDefaults | undefined): TaskSpec {
  if (defaults === undefined) return spec;
  return {
    ...spec,
    ...(spec.retry === undefined && defaults.retry !== undefined ? { retry: defaults.retry } : {}),
    ...(spec.limits === undefined && defaults.limits !== undefined ? { limits: defaults.limits } : {}),
    ...(spec.timeout === undefined && defaults.timeout !== undefined ? { timeout: defaults.timeout } : {}),
    ...(spec.queue === undefined && defaults.queue !== undefined ? { queue: defaults.queue } : {}),
    ...(spec.priority === undefined && defaults.priority !== undefined
      ? { priority: defaults.priority }
      : {}),
  };
}

type Render = (text: string | undefined, path: string) => string | undefined;

function renderEnv(
  env: Readonly<Record<string, string>>,
  path: string,
  render: Render,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, render(value, `${path}.${key}`) ?? value]),
  );
}

function renderArgs(args: readonly string[], path: string, render: Render): string[] {
  return args.map((arg, index) => render(arg, `${path}[${index}]`) ?? arg);
}

function renderAux(step: AuxTaskSpec, path: string, render: Render): AuxTaskSpec {
  const copy: AuxTaskSpec = { ...step };
  assign(copy, 'image', render(step.image, `${path}.image`));
  assign(copy, 'name', render(step.name, `${path}.name`));
  if (step.env !== undefined) copy.env = renderEnv(step.env, `${path}.env`, render);
  if (step.cmd !== undefined) copy.cmd = renderArgs(step.cmd, `${path}.cmd`, render);
  return copy;
}

/** An evaluated value is held to the rules a submitted one is (no image at all: a runtime without images). */
function checkEvaluated(spec: TaskSpec): Problem[] {
  const problems: Problem[] = [];
  if (spec.image?.trim() === '') problems.push({ path: 'image', message: 'must not be empty' });
  if (spec.queue !== undefined) problems.push(...checkQueueName(spec.queue, 'queue'));
  for (const kind of ['pre', 'post'] as const) {
    (spec[kind] ?? []).forEach((step, index) => {
      if (step.image?.trim() === '')
        problems.push({ path: `${kind}[${index}].image`, message: 'must not be empty' });
    });
  }
  return problems;
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) return;
  target[key] = value;
}
