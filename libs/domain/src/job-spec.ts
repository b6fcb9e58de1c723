import { Ajv, type ErrorObject } from 'ajv';
import { load as loadYaml, YAMLException } from 'js-yaml';
import { parseDuration } from './duration.js';
import { TorkError, type Problem } from './errors.js';
import { JobSpecSchema, type AuxTaskSpec, type JobSpec, type TaskSpec } from './job-spec.schema.js';
import { isReservedQueue, QUEUE_NAME_PATTERN } from './queues.js';
import { parseCpus, parseSize } from './size.js';

export const MAX_RETRY_INITIAL_DELAY_MS = 5 * 60_000;
export const MAX_RETRY_SCALING_FACTOR = 10;
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 1000;
export const DEFAULT_RETRY_SCALING_FACTOR = 2;

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
    case 'enum':
      return [
        { path: path || 'body', message: `must be one of ${enumValues(error.params['allowedValues'])}` },
      ];
    case 'minProperties':
    case 'maxProperties': {
      const bound = error.keyword === 'minProperties' ? 'least' : 'most';
      return [
        { path: path || 'body', message: `must have at ${bound} ${String(error.params['limit'])} field(s)` },
      ];
    }
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

function enumValues(values: unknown): string {
  return Array.isArray(values) ? values.map((value) => String(value)).join(', ') : 'the allowed values';
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

function checkSemantics(body: Record<string, unknown>): Problem[] {
  const tasks = body['tasks'];
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((task: unknown, index) => (isRecord(task) ? checkTask(task, `tasks[${index}]`) : []));
}

function checkTask(task: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [...checkCommon(task, path)];
  const queue = task['queue'];
  if (typeof queue === 'string' && queue !== '') {
    if (isReservedQueue(queue)) {
      problems.push({ path: `${path}.queue`, message: `"${queue}" is reserved by the engine` });
    } else if (!QUEUE_NAME_PATTERN.test(queue)) {
      problems.push({ path: `${path}.queue`, message: 'may contain only letters, digits, "_", "." and "-"' });
    }
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
        if (isRecord(step)) problems.push(...checkCommon(step, `${path}.${kind}[${index}]`));
      });
    }
  }
  return problems;
}

function checkCommon(task: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [];
  const timeout = task['timeout'];
  if (typeof timeout === 'string') {
    const ms = parseDuration(timeout);
    if (ms === undefined)
      problems.push({
        path: `${path}.timeout`,
        message: `"${timeout}" is not a duration (e.g. 300ms, 45m, 1h)`,
      });
    else if (ms <= 0) problems.push({ path: `${path}.timeout`, message: 'must be more than 0' });
  }
  const env = task['env'];
  if (isRecord(env)) {
    for (const key of Object.keys(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
        problems.push({ path: `${path}.env.${key}`, message: 'is not a valid environment variable name' });
      }
    }
  }
  return problems;
}

function normalize(spec: JobSpec): JobSpec {
  return {
    ...(spec.name === undefined ? {} : { name: spec.name }),
    tasks: spec.tasks.map((task) => normalizeTask(task)),
    ...(spec.permissions === undefined ? {} : { permissions: spec.permissions }),
  };
}

function normalizeTask<T extends TaskSpec | AuxTaskSpec>(task: T): T {
  const copy: T = { ...task };
  if (task.env !== undefined)
    copy.env = Object.fromEntries(
      Object.entries(task.env as Record<string, string | number | boolean>).map(([k, v]) => [k, String(v)]),
    );
  if ('pre' in task && task.pre !== undefined)
    (copy as TaskSpec).pre = task.pre.map((step) => normalizeTask(step));
  if ('post' in task && task.post !== undefined)
    (copy as TaskSpec).post = task.post.map((step) => normalizeTask(step));
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
