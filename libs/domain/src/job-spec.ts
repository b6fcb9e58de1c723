import { Ajv, type ErrorObject } from 'ajv';
import { load as loadYaml, YAMLException } from 'js-yaml';
import { formatDuration, parseDuration } from './duration.js';
import { errorMessage, TorkError, type Problem } from './errors.js';
import { checkExpressionSyntax, checkTemplateSyntax, hasExpressions } from './workflow/templates.js';
import { JobSpecSchema, type AuxTaskSpec, type JobSpec, type TaskSpec } from './job-spec.schema.js';
import { isReservedQueue, QUEUE_NAME_PATTERN } from './queues.js';
import { MAX_RETRY_INITIAL_DELAY_MS, MAX_RETRY_SCALING_FACTOR } from './workflow/retry.js';
import { parseCpus, parseSize } from './size.js';


export type JobSpecFormat = 'json' | 'yaml';

const ajv = new Ajv({ allErrors: true, strict: false });
const validateShape = ajv.compile(JobSpecSchema);

/** Parses a submitted body (JSON or YAML text) into a valid job spec, or throws INVALID_INPUT with every problem. */
export function parseJobSpecText(text: string, format: JobSpecFormat): JobSpec {
  return parseJobSpec(decode(text, format));
}

function decode(text: string, format: JobSpecFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw TorkError.invalid([{ path: 'body', message: `malformed JSON: ${(error as Error).message}` }]);
    }
  }
  try {
    return loadYaml(text);
  } catch (error) {
    const reason =
      error instanceof YAMLException ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw TorkError.invalid([{ path: 'body', message: `malformed YAML: ${reason}` }]);
  }
}

/** Validates a decoded body as a job spec, or throws INVALID_INPUT listing every problem with its path. */
export function parseJobSpec(body: unknown): JobSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw TorkError.invalid([{ path: 'body', message: 'must be an object with `tasks`' }]);
  }
  const problems: Problem[] = [];
  if (!validateShape(body)) problems.push(...(validateShape.errors ?? []).flatMap(toProblem));
  problems.push(...checkSemantics(body as Record<string, unknown>));
  if (problems.length > 0) throw TorkError.invalid(dedupe(problems));
  return normalize(body as JobSpec);
}

function toProblem(error: ErrorObject): Problem[] {
  const path = toPath(error.instancePath);
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`);
  switch (error.keyword) {
    case 'required':
      return [{ path: at(String(error.params['missingProperty'])), message: 'required' }];
    case 'additionalProperties':
      return [{ path: at(String(error.params['additionalProperty'])), message: 'unknown field' }];
    case 'type':
      return [{ path: path || 'body', message: `must be ${describeType(error.params['type'])}` }];
    case 'anyOf':
      return []; // each branch already reported its own type error; keep the clearer one below
    case 'minItems':
      return [
        { path: path || 'body', message: `must have at least ${String(error.params['limit'])} item(s)` },
      ];
    case 'minLength':
      return [{ path: path || 'body', message: 'must not be empty' }];
    default:
      return [{ path: path || 'body', message: error.message ?? 'invalid' }];
  }
}

/** `/tasks/0/image` → `tasks[0].image` */
function toPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (path, segment) =>
        /^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`,
      '',
    );
}

function describeType(type: unknown): string {
  const names = Array.isArray(type) ? type.map(String) : [String(type)];
  return names.map((name) => (/^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`)).join(' or ');
}

const TYPE_MESSAGE = /^must be an? /;

/** Merges duplicate paths from union branches into one problem per path and message. */
function dedupe(problems: readonly Problem[]): Problem[] {
  const byPath = new Map<string, Problem>();
  for (const problem of problems) {
    const existing = byPath.get(problem.path);
    if (existing === undefined) {
      byPath.set(problem.path, problem);
    } else if (TYPE_MESSAGE.test(existing.message) && TYPE_MESSAGE.test(problem.message)) {
      byPath.set(problem.path, {
        path: problem.path,
        message: `${existing.message} or ${problem.message.slice(8)}`,
      });
    } else if (existing.message !== problem.message) {
      byPath.set(`${problem.path}\u0000${problem.message}`, problem);
    }
  }
  return [...byPath.values()];
}

/** Composite tasks may nest this deep (a parallel in an each in a subjob ...). */
export const MAX_TASK_DEPTH = 8;
/** Every task of a spec, nested ones included. */
export const MAX_SPEC_TASKS = 10_000;
export const MAX_VAR_LENGTH = 64;
/** The longest `wait.timeout` a submission may ask for. */
export const MAX_WAIT_MS = 60 * 60_000;

const COMPOSITE_FIELDS = ['parallel', 'each', 'subjob'] as const;
/** Fields that only a task running a container may have. */
const CONTAINER_FIELDS = [
  'image',
  'run',
  'env',
  'queue',
  'priority',
  'pre',
  'post',
  'volumes',
  'retry',
  'limits',
  'timeout',
] as const;

function checkSemantics(body: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const walker = new SpecWalker(problems);
  walker.tasks(body['tasks'], 'tasks', 1);
  if (walker.count > MAX_SPEC_TASKS)
    problems.push({ path: 'tasks', message: `has ${walker.count} tasks in all; at most ${MAX_SPEC_TASKS}` });
  checkTemplate(body['output'], 'output', problems);
  checkStringMap(body['inputs'], 'inputs', problems);
  checkStringMap(body['secrets'], 'secrets', problems);
  const defaults = body['defaults'];
  if (isRecord(defaults)) problems.push(...checkContainerFields(defaults, 'defaults'));
  const wait = body['wait'];
  if (isRecord(wait)) checkDuration(wait['timeout'], 'wait.timeout', MAX_WAIT_MS, problems);
  const autoDelete = body['autoDelete'];
  if (isRecord(autoDelete)) checkDuration(autoDelete['after'], 'autoDelete.after', undefined, problems);
  return problems;
}

/** Walks the task tree: each task is checked for its kind's fields, expressions and limits. */
class SpecWalker {
  count = 0;

  constructor(private readonly problems: Problem[]) {}

  tasks(tasks: unknown, path: string, depth: number): void {
    if (!Array.isArray(tasks)) return;
    tasks.forEach((task: unknown, index) => {
      if (isRecord(task)) this.task(task, `${path}[${index}]`, depth);
    });
  }

  task(task: Record<string, unknown>, path: string, depth: number): void {
    this.count++;
    const problems = this.problems;
    if (depth > MAX_TASK_DEPTH) {
      problems.push({ path, message: `composite tasks nest more than ${MAX_TASK_DEPTH} deep` });
      return;
    }
    checkTemplate(task['name'], `${path}.name`, problems);
    checkTemplate(task['if'], `${path}.if`, problems);
    const variable = task['var'];
    if (typeof variable === 'string') {
      if (variable.length > MAX_VAR_LENGTH)
        problems.push({ path: `${path}.var`, message: `must be at most ${MAX_VAR_LENGTH} characters` });
      else checkTemplate(variable, `${path}.var`, problems);
    }
    const composites = COMPOSITE_FIELDS.filter((field) => task[field] !== undefined);
    if (composites.length > 1) {
      problems.push({ path, message: `may have only one of parallel, each and subjob; has ${composites.join(', ')}` });
      return;
    }
    const kind = composites[0];
    if (kind === undefined) {
      if (task['image'] === undefined) problems.push({ path: `${path}.image`, message: 'required' });
      problems.push(...checkContainerFields(task, path));
      return;
    }
    for (const field of CONTAINER_FIELDS) {
      if (task[field] !== undefined)
        problems.push({ path: `${path}.${field}`, message: `not allowed on a ${kind} task` });
    }
    const composite = task[kind];
    if (!isRecord(composite)) return;
    switch (kind) {
      case 'parallel':
        this.tasks(composite['tasks'], `${path}.parallel.tasks`, depth + 1);
        return;
      case 'each': {
        const list = composite['list'];
        if (typeof list === 'string') checkExpression(list, `${path}.each.list`, problems);
        const loopVar = composite['var'];
        if (typeof loopVar === 'string' && !IDENTIFIER.test(loopVar))
          problems.push({ path: `${path}.each.var`, message: 'must be a name of letters, digits and _' });
        const child = composite['task'];
        if (isRecord(child)) this.task(child, `${path}.each.task`, depth + 1);
        return;
      }
      case 'subjob':
        checkTemplate(composite['name'], `${path}.subjob.name`, problems);
        checkTemplate(composite['output'], `${path}.subjob.output`, problems);
        checkStringMap(composite['inputs'], `${path}.subjob.inputs`, problems);
        checkStringMap(composite['secrets'], `${path}.subjob.secrets`, problems);
        if (isRecord(composite['autoDelete']))
          checkDuration(composite['autoDelete']['after'], `${path}.subjob.autoDelete.after`, undefined, problems);
        this.tasks(composite['tasks'], `${path}.subjob.tasks`, depth + 1);
        return;
    }
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The fields of a task that runs a container (or of a job's defaults for such tasks). */
function checkContainerFields(task: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [...checkCommon(task, path)];
  checkTemplate(task['image'], `${path}.image`, problems);
  const queue = task['queue'];
  if (typeof queue === 'string' && queue !== '') {
    if (hasExpressions(queue)) checkTemplate(queue, `${path}.queue`, problems);
    else problems.push(...checkQueueName(queue, `${path}.queue`));
  }
  const retry = task['retry'];
  if (isRecord(retry)) {
    const delay = retry['initialDelay'];
    if (typeof delay === 'string') {
      const ms = parseDuration(delay);
      if (ms === undefined)
        problems.push({
          path: `${path}.retry.initialDelay`,
          message: `"${delay}" is not a duration (e.g. 5s)`,
        });
      else if (ms > MAX_RETRY_INITIAL_DELAY_MS || ms <= 0)
        problems.push({ path: `${path}.retry.initialDelay`, message: 'must be more than 0 and at most 5m' });
    }
    const factor = retry['scalingFactor'];
    if (typeof factor === 'number' && (factor < 1 || factor > MAX_RETRY_SCALING_FACTOR)) {
      problems.push({ path: `${path}.retry.scalingFactor`, message: 'must be between 1 and 10' });
    }
  }
  const limits = task['limits'];
  if (isRecord(limits)) {
    const cpus = limits['cpus'];
    if ((typeof cpus === 'string' || typeof cpus === 'number') && parseCpus(cpus) === undefined) {
      problems.push({
        path: `${path}.limits.cpus`,
        message: `"${String(cpus)}" is not a positive number of CPUs (e.g. .5)`,
      });
    }
    const memory = limits['memory'];
    if (typeof memory === 'string' && parseSize(memory) === undefined) {
      problems.push({
        path: `${path}.limits.memory`,
        message: `"${memory}" is not a size (a positive integer with b, k, m or g, e.g. 10m)`,
      });
    }
  }
  const volumes = task['volumes'];
  if (Array.isArray(volumes)) {
    volumes.forEach((volume: unknown, index) => {
      if (typeof volume === 'string' && volume !== '' && !/^\/[-/.0-9a-zA-Z_= ]*$/.test(volume)) {
        problems.push({
          path: `${path}.volumes[${index}]`,
          message: 'must be an absolute path of letters, digits and -/._=',
        });
      }
    });
  }
  for (const kind of ['pre', 'post'] as const) {
    const steps = task[kind];
    if (Array.isArray(steps)) {
      steps.forEach((step: unknown, index) => {
        if (!isRecord(step)) return;
        const stepPath = `${path}.${kind}[${index}]`;
        problems.push(...checkCommon(step, stepPath));
        checkTemplate(step['name'], `${stepPath}.name`, problems);
        checkTemplate(step['image'], `${stepPath}.image`, problems);
      });
    }
  }
  return problems;
}

/** A queue name a task may be routed to: not one of the engine's own, and safe for every broker. */
export function checkQueueName(queue: string, path: string): Problem[] {
  if (isReservedQueue(queue)) return [{ path, message: `"${queue}" is reserved by the engine` }];
  if (!QUEUE_NAME_PATTERN.test(queue))
    return [{ path, message: 'may contain only letters, digits, "_", "." and "-"' }];
  return [];
}

function checkCommon(task: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [];
  checkDuration(task['timeout'], `${path}.timeout`, undefined, problems);
  const env = task['env'];
  if (isRecord(env)) {
    for (const [key, value] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
        problems.push({ path: `${path}.env.${key}`, message: 'is not a valid environment variable name' });
      } else if (typeof value === 'string') {
        checkTemplate(value, `${path}.env.${key}`, problems);
      }
    }
  }
  return problems;
}

function checkDuration(value: unknown, path: string, maxMs: number | undefined, problems: Problem[]): void {
  if (typeof value !== 'string') return;
  const ms = parseDuration(value);
  if (ms === undefined)
    problems.push({ path, message: `"${value}" is not a duration (e.g. 300ms, 45m, 1h)` });
  else if (ms <= 0) problems.push({ path, message: 'must be more than 0' });
  else if (maxMs !== undefined && ms > maxMs)
    problems.push({ path, message: `must be at most ${formatDuration(maxMs)}` });
}

function checkStringMap(value: unknown, path: string, problems: Problem[]): void {
  if (!isRecord(value)) return;
  for (const [key, item] of Object.entries(value)) {
    if (!IDENTIFIER.test(key)) problems.push({ path: `${path}.${key}`, message: 'must be a name of letters, digits and _' });
    else checkTemplate(item, `${path}.${key}`, problems);
  }
}

/** A string field that may hold `{{ }}` expressions: each must parse. */
function checkTemplate(value: unknown, path: string, problems: Problem[]): void {
  if (typeof value !== 'string' || !hasExpressions(value)) return;
  try {
    checkTemplateSyntax(value);
  } catch (error) {
    problems.push({ path, message: errorMessage(error) });
  }
}

/** A field that is an expression, with or without `{{ }}` around it (`each.list`). */
function checkExpression(value: string, path: string, problems: Problem[]): void {
  try {
    checkExpressionSyntax(value);
  } catch (error) {
    problems.push({ path, message: errorMessage(error) });
  }
}

function normalize(spec: JobSpec): JobSpec {
  return { ...spec, tasks: spec.tasks.map((task) => normalizeTask(task)) };
}

function normalizeTask(task: TaskSpec): TaskSpec {
  const copy: TaskSpec = { ...task };
  if (task.env !== undefined) copy.env = stringValues(task.env);
  if (task.pre !== undefined) copy.pre = task.pre.map((step) => normalizeAux(step));
  if (task.post !== undefined) copy.post = task.post.map((step) => normalizeAux(step));
  if (task.parallel !== undefined) copy.parallel = { tasks: task.parallel.tasks.map((t) => normalizeTask(t)) };
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
