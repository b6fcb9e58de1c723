import { Ajv } from 'ajv';
import { TorkError, type Problem } from '../errors.js';
import { policyProblems } from '../worker-policy.js';
import { decodeSpecText, type JobSpecFormat } from './decode.js';
import { JobSpecSchema } from './job.schema.js';
import { engineProblems, type JobSpecPolicy } from './policy.js';
import { findOversized, ProblemList } from './schema-problems.js';
import { TaskSpecSchema } from './task.schema.js';
import type { AuxTaskSpec, JobSpec, TaskSpec } from './types.js';
import { checkSemantics } from './validate-job.js';

const ajv = new Ajv({ allErrors: true, strict: false });
// The job's own fields here, each task on its own below: no validation run lists more than one task's problems.
const tasksList = JobSpecSchema.properties.tasks;
const validateJobFields = ajv.compile({
  ...JobSpecSchema,
  $id: undefined,
  properties: {
    ...JobSpecSchema.properties,
    tasks: { type: 'array', minItems: tasksList.minItems, maxItems: tasksList.maxItems },
  },
});
const validateTask = ajv.compile(TaskSpecSchema);

/** Parses a submitted body (JSON or YAML text) into a valid job spec, or throws INVALID_INPUT with every problem. */
export function parseJobSpecText(text: string, format: JobSpecFormat, policy: JobSpecPolicy = {}): JobSpec {
  return parseJobSpec(decodeSpecText(text, format), policy);
}

/** Validates a decoded body as a job spec, or throws INVALID_INPUT listing every problem with its path. */
export function parseJobSpec(body: unknown, policy: JobSpecPolicy = {}): JobSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw TorkError.invalid([{ path: 'body', message: 'must be an object with `tasks`' }]);
  }
  // A list or map past its limit is all a reply says: its items could break rules 100,000 times.
  const oversized: Problem[] = [];
  findOversized(JobSpecSchema, body, '', oversized);
  if (oversized.length > 0) throw TorkError.invalid(oversized);
  const problems = new ProblemList();
  const jobFieldsValid = validateJobFields(body);
  problems.addErrors(jobFieldsValid ? [] : validateJobFields.errors, '');
  const { defaults } = body as JobSpec;
  // Defaults fill tasks' limits and timeouts: held to the workers' ceilings as the tasks' own.
  if (jobFieldsValid && defaults !== undefined && policy.worker !== undefined)
    problems.addAll(
      policyProblems({ limits: defaults.limits, timeout: defaults.timeout }, policy.worker, 'defaults'),
    );
  const tasks = (body as Record<string, unknown>)['tasks'];
  if (Array.isArray(tasks)) {
    tasks.forEach((task: unknown, index) => {
      const valid = validateTask(task);
      problems.addErrors(valid ? [] : validateTask.errors, `/tasks/${index}`);
      // Only a task of the schema's shape is typed enough for the engine's policy.
      if (valid) problems.addAll(engineProblems(task as TaskSpec, policy, `tasks[${index}]`));
    });
  }
  problems.addAll(checkSemantics(body as Record<string, unknown>, policy));
  if (problems.total > 0) throw TorkError.invalid(problems.kept, problems.total);
  return normalize(body as JobSpec);
}

/** A valid spec as the engine keeps it: env values as strings. */
function normalize(spec: JobSpec): JobSpec {
  return { ...spec, tasks: spec.tasks.map((task) => normalizeTask(task)) };
}

function normalizeTask(task: TaskSpec): TaskSpec {
  const copy: TaskSpec = { ...task };
  if (task.env !== undefined) copy.env = stringValues(task.env);
  if (task.pre !== undefined) copy.pre = task.pre.map((step) => normalizeAux(step));
  if (task.post !== undefined) copy.post = task.post.map((step) => normalizeAux(step));
  if (task.parallel !== undefined)
    copy.parallel = { tasks: task.parallel.tasks.map((t) => normalizeTask(t)) };
  if (task.each !== undefined) copy.each = { ...task.each, task: normalizeTask(task.each.task) };
  if (task.subjob !== undefined)
    copy.subjob = { ...task.subjob, tasks: task.subjob.tasks.map((t) => normalizeTask(t)) };
  return copy;
}

function normalizeAux(step: AuxTaskSpec): AuxTaskSpec {
  return step.env === undefined ? { ...step } : { ...step, env: stringValues(step.env) };
}

function stringValues(env: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
}
