import { Ajv, type ErrorObject } from 'ajv';
import { load as loadYaml, YAMLException, type State as YamlState } from 'js-yaml';
import { formatDuration, parseDuration } from './duration.js';
import { errorMessage, MAX_PROBLEMS, TorkError, truncateText, type Problem } from './errors.js';
import {
  ENV_NAME_PATTERN,
  HEADER_NAME_PATTERN,
  JobSpecSchema,
  WEBHOOK_URL_PATTERN,
  SPEC_LIMITS,
  TaskSpecSchema,
  type AuxTaskSpec,
  type JobSpec,
  type RetrySpec,
  type TaskSpec,
  taskKind,
} from './job-spec.schema.js';
import { checkTaskContainer } from './job-spec-container.js';
import { ENVELOPE_PREFIX, isEncrypted } from './keyring.js';
import type { RuntimeFeatures } from './ports/runtime.js';
import { DEFAULT_QUEUE, isReservedQueue, QUEUE_NAME_MAX_LENGTH, QUEUE_NAME_PATTERN } from './queues.js';
import { MAX_RETRY_INITIAL_DELAY_MS, MAX_RETRY_SCALING_FACTOR, totalRetryDelayMs } from './retry-delay.js';
import { parseCpus, parseSize } from './size.js';
import { policyProblems, unsupportedFieldProblems, type WorkerPolicy } from './worker-policy.js';
import { checkExpressionSyntax, checkTemplateSyntax, hasExpressions } from './workflow/templates.js';

export type JobSpecFormat = 'json' | 'yaml';

/** What an operator allows beyond the schema's own rules. */
export interface JobSpecPolicy {
  /** When set, every task's queue (`default` when it names none) must be one of these. */
  readonly allowedQueues?: readonly string[];
  /** The workers' own policy (ceilings, bind prefixes): a task outside it is refused here, not on a worker. */
  readonly worker?: WorkerPolicy;
  /** What the workers' runtime can honour: other fields are refused here. */
  readonly features?: RuntimeFeatures;
  /** The runtime runs no images (`-runtime shell`): `image` is not required. */
  readonly imagesOptional?: boolean;
}

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

/** Thrown from the YAML loader's listener at the first anchor: aliases to it could expand without bound. */
class YamlAnchorRefused extends Error {}

/** Refuses anchors (so aliases, which need one, can never expand a small body into a huge tree). */
function refuseAnchors(eventType: 'open' | 'close', state: YamlState): void {
  const anchor = (state as YamlState & { anchor?: string | null }).anchor;
  if (eventType === 'close' && typeof anchor === 'string') {
    throw new YamlAnchorRefused(
      `YAML anchors and aliases are not accepted (found &${truncateText(anchor, 64)} before line ${state.line + 1}): write the value out`,
    );
  }
}

/** A submitted body (JSON or YAML text) decoded, not yet validated; INVALID_INPUT when it cannot be read. */
export function decodeSpecText(text: string, format: JobSpecFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw TorkError.invalid([{ path: 'body', message: `malformed JSON: ${(error as Error).message}` }]);
    }
  }
  try {
    return loadYaml(text, { listener: refuseAnchors });
  } catch (error) {
    if (error instanceof YamlAnchorRefused)
      throw TorkError.invalid([{ path: 'body', message: error.message }]);
    const reason =
      error instanceof YAMLException ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw TorkError.invalid([{ path: 'body', message: `malformed YAML: ${reason}` }]);
  }
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

/** The first problems found, and how many there were in all. */
class ProblemList {
  readonly kept: Problem[] = [];
  total = 0;
  private readonly paths = new Map<string, string>();

  addErrors(errors: readonly ErrorObject[] | null | undefined, prefix: string): void {
    const problems: Problem[] = [];
    for (const error of errors ?? []) {
      const at = { ...error, instancePath: prefix + error.instancePath };
      for (const problem of toProblem(at, this.paths)) problems.push(problem);
    }
    this.addAll(dedupe(problems));
  }

  addAll(problems: readonly Problem[]): void {
    for (const problem of problems) {
      this.total += 1;
      if (this.kept.length < MAX_PROBLEMS) this.kept.push(problem);
    }
  }
}

interface SchemaNode {
  readonly [keyword: string]: unknown;
  readonly $ref?: string;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly items?: SchemaNode;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
}

/**
 * Arrays and maps of the body longer than the schema allows, found by walking the schema's `items`
 * and `properties` (and a task's reference to itself: composite tasks nest).
 */
function findOversized(node: SchemaNode, value: unknown, path: string, found: Problem[]): void {
  const schema: SchemaNode = node.$ref === TaskSpecSchema.$id ? TaskSpecSchema : node;
  const here = path || 'body';
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      found.push({ path: here, message: `must have at most ${schema.maxItems} items` });
    } else if (schema.items !== undefined) {
      const items = schema.items;
      value.forEach((item: unknown, index) => {
        findOversized(items, item, `${path}[${index}]`, found);
      });
    }
  } else if (isRecord(value)) {
    if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties) {
      found.push({ path: here, message: tooManyKeys(schema.maxProperties) });
    } else {
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        if (key in value) findOversized(property, value[key], path === '' ? key : `${path}.${key}`, found);
      }
    }
  }
}

function toProblem(error: ErrorObject, paths: Map<string, string>): Problem[] {
  let path = paths.get(error.instancePath);
  if (path === undefined) {
    path = toPath(error.instancePath);
    paths.set(error.instancePath, path);
  }
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`);
  const here = path || 'body';
  // A key that breaks `propertyNames` (env names): reported at the key, once.
  if (error.propertyName !== undefined) {
    const message =
      error.keyword === 'maxLength'
        ? `is longer than ${String(error.params['limit'])} characters`
        : error.keyword === 'minLength'
          ? 'must not be empty'
          : error.params['pattern'] === ENV_NAME_PATTERN
            ? 'is not a valid environment variable name'
            : error.params['pattern'] === HEADER_NAME_PATTERN
              ? 'is not a valid HTTP header name'
              : 'is not a valid file name (no "/")';
    return [{ path: at(error.propertyName), message }];
  }
  switch (error.keyword) {
    case 'propertyNames':
      return [];
    case 'required':
      return [{ path: at(String(error.params['missingProperty'])), message: 'required' }];
    case 'additionalProperties':
      return [{ path: at(String(error.params['additionalProperty'])), message: 'unknown field' }];
    case 'type':
      return [{ path: here, message: `must be ${describeType(error.params['type'])}` }];
    case 'anyOf':
      return []; // each branch already reported its own type error; keep the clearer one below
    case 'minItems':
      return [{ path: here, message: `must have at least ${String(error.params['limit'])} item(s)` }];
    case 'minLength':
      return [{ path: here, message: 'must not be empty' }];
    case 'maxLength':
      return [{ path: here, message: `must be at most ${String(error.params['limit'])} characters long` }];
    case 'maxItems':
      return [{ path: here, message: `must have at most ${String(error.params['limit'])} items` }];
    case 'maxProperties': {
      const limit = Number(error.params['limit']);
      return [
        { path: here, message: limit === 1 ? 'must have only one field' : `must have at most ${limit} keys` },
      ];
    }
    case 'minProperties':
      return [{ path: here, message: `must have at least ${String(error.params['limit'])} field(s)` }];
    case 'enum':
      return [{ path: here, message: `must be one of ${enumValues(error.params['allowedValues'])}` }];
    case 'pattern':
      if (error.params['pattern'] === WEBHOOK_URL_PATTERN)
        return [{ path: here, message: 'must be an http:// or https:// URL' }];
      return [{ path: here, message: error.message ?? 'invalid' }];
    default:
      return [{ path: here, message: error.message ?? 'invalid' }];
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

function tooManyKeys(limit: number): string {
  return limit === 1 ? 'must have only one field' : `must have at most ${limit} keys`;
}

function describeType(type: unknown): string {
  const names = Array.isArray(type) ? type.map(String) : [String(type)];
  return names.map((name) => (/^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`)).join(' or ');
}

const TYPE_MESSAGE = /^must be an? /;

/**
 * Merges duplicate paths from union branches into one problem per path and message. A value of
 * one branch's type that breaks another rule (a string too long) is reported for that rule alone.
 */
function dedupe(problems: readonly Problem[]): Problem[] {
  const ruled = new Set(problems.filter((p) => !TYPE_MESSAGE.test(p.message)).map((p) => p.path));
  const byPath = new Map<string, Problem>();
  for (const problem of problems) {
    if (TYPE_MESSAGE.test(problem.message) && ruled.has(problem.path)) continue;
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

function checkSemantics(body: Record<string, unknown>, policy: JobSpecPolicy): Problem[] {
  const problems: Problem[] = [];
  const walker = new SpecWalker(problems, policy);
  walker.tasks(body['tasks'], 'tasks', 1);
  if (walker.count > SPEC_LIMITS.specTasks)
    problems.push({
      path: 'tasks',
      message: `has ${walker.count} tasks in all; at most ${SPEC_LIMITS.specTasks}`,
    });
  checkTemplate(body['output'], 'output', problems);
  checkStringMap(body['inputs'], 'inputs', problems);
  checkStringMap(body['secrets'], 'secrets', problems);
  const defaults = body['defaults'];
  if (isRecord(defaults)) problems.push(...checkContainerFields(defaults, 'defaults', {}));
  const wait = body['wait'];
  if (isRecord(wait)) checkDuration(wait['timeout'], 'wait.timeout', SPEC_LIMITS.waitMs, problems);
  const autoDelete = body['autoDelete'];
  if (isRecord(autoDelete)) checkDuration(autoDelete['after'], 'autoDelete.after', undefined, problems);
  checkWebhooks(body['webhooks'], 'webhooks', problems);
  return problems;
}

/** Each webhook's URL and header values may hold templates, and its `if` is an expression: each must parse. */
function checkWebhooks(value: unknown, path: string, problems: Problem[]): void {
  if (!Array.isArray(value)) return;
  value.forEach((webhook: unknown, index) => {
    if (!isRecord(webhook)) return;
    const at = `${path}[${index}]`;
    const url = webhook['url'];
    if (typeof url === 'string') {
      checkTemplate(url, `${at}.url`, problems);
      if (!hasExpressions(url) && !URL.canParse(url))
        problems.push({ path: `${at}.url`, message: 'is not a valid URL' });
    }
    const condition = webhook['if'];
    if (typeof condition === 'string' && condition.trim() !== '')
      checkExpression(condition, `${at}.if`, problems);
    const headers = webhook['headers'];
    if (!isRecord(headers)) return;
    for (const [name, header] of Object.entries(headers)) {
      if (typeof header !== 'string') continue;
      // Only the API encrypts: a submitted envelope could be another job's secret, copied.
      if (isEncrypted(header))
        problems.push({ path: `${at}.headers.${name}`, message: `may not start with "${ENVELOPE_PREFIX}"` });
      else checkTemplate(header, `${at}.headers.${name}`, problems);
    }
  });
}

/** Every regular task of a tree (nested ones too) under the workers' policy and runtime. */
function engineProblems(spec: TaskSpec, policy: JobSpecPolicy, path: string): Problem[] {
  const { worker, features } = policy;
  if (worker === undefined && features === undefined) return [];
  const at = (field: string): string => `${path}.${field}`;
  switch (taskKind(spec)) {
    case 'task':
      return [
        ...(worker === undefined ? [] : policyProblems(spec, worker, path)),
        ...(features === undefined ? [] : unsupportedFieldProblems(spec, features, path)),
      ];
    case 'parallel':
      return (spec.parallel?.tasks ?? []).flatMap((child, i) =>
        engineProblems(child, policy, at(`parallel.tasks[${i}]`)),
      );
    case 'each':
      return spec.each === undefined ? [] : engineProblems(spec.each.task, policy, at('each.task'));
    case 'subjob':
      return (spec.subjob?.tasks ?? []).flatMap((child, i) =>
        engineProblems(child, policy, at(`subjob.tasks[${i}]`)),
      );
  }
}

const COMPOSITE_FIELDS = ['parallel', 'each', 'subjob'] as const;
/** Fields that only a task running a container may have. */
const CONTAINER_FIELDS = [
  'image',
  'registry',
  'run',
  'cmd',
  'entrypoint',
  'env',
  'files',
  'workdir',
  'user',
  'mounts',
  'networks',
  'sidecars',
  'gpus',
  'queue',
  'priority',
  'pre',
  'post',
  'volumes',
  'retry',
  'limits',
  'timeout',
] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Walks the task tree: each task is checked for its kind's fields, expressions and limits. */
class SpecWalker {
  count = 0;

  constructor(
    private readonly problems: Problem[],
    private readonly policy: JobSpecPolicy,
  ) {}

  tasks(tasks: unknown, path: string, depth: number): void {
    if (!Array.isArray(tasks)) return;
    tasks.forEach((task: unknown, index) => {
      if (isRecord(task)) this.task(task, `${path}[${index}]`, depth);
    });
  }

  task(task: Record<string, unknown>, path: string, depth: number): void {
    this.count++;
    const problems = this.problems;
    if (depth > SPEC_LIMITS.taskDepth) {
      problems.push({ path, message: `composite tasks nest more than ${SPEC_LIMITS.taskDepth} deep` });
      return;
    }
    checkTemplate(task['name'], `${path}.name`, problems);
    checkTemplate(task['if'], `${path}.if`, problems);
    checkTemplate(task['var'], `${path}.var`, problems);
    const composites = COMPOSITE_FIELDS.filter((field) => task[field] !== undefined);
    if (composites.length > 1) {
      problems.push({
        path,
        message: `may have only one of parallel, each and subjob; has ${composites.join(', ')}`,
      });
      return;
    }
    const kind = composites[0];
    if (kind === undefined) {
      if (task['image'] === undefined && this.policy.imagesOptional !== true)
        problems.push({ path: `${path}.image`, message: 'required' });
      problems.push(...checkContainerFields(task, path, this.policy));
      problems.push(...checkTaskContainer(task, path));
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
          checkDuration(
            composite['autoDelete']['after'],
            `${path}.subjob.autoDelete.after`,
            undefined,
            problems,
          );
        checkWebhooks(composite['webhooks'], `${path}.subjob.webhooks`, problems);
        this.tasks(composite['tasks'], `${path}.subjob.tasks`, depth + 1);
        return;
    }
  }
}

/** The fields of a task that runs a container (or of a job's defaults for such tasks). */
function checkContainerFields(task: Record<string, unknown>, path: string, policy: JobSpecPolicy): Problem[] {
  const problems: Problem[] = [...checkCommon(task, path)];
  checkTemplate(task['image'], `${path}.image`, problems);
  const queue = task['queue'];
  if (typeof queue === 'string' && hasExpressions(queue)) {
    // Checked as any queue name once evaluated, when the task is created.
    checkTemplate(queue, `${path}.queue`, problems);
  } else if (typeof queue === 'string' && queue !== '' && queue.length <= QUEUE_NAME_MAX_LENGTH) {
    problems.push(...checkQueueName(queue, `${path}.queue`));
  }
  const allowed = policy.allowedQueues;
  if (
    allowed !== undefined &&
    (queue === undefined || (typeof queue === 'string' && !hasExpressions(queue)))
  ) {
    const effective = queue ?? DEFAULT_QUEUE;
    if (!allowed.includes(effective)) {
      const list = allowed.join(', ');
      problems.push({
        path: `${path}.queue`,
        message:
          queue === undefined
            ? `required: the default queue is not among the allowed queues (${list})`
            : `"${effective}" is not one of the allowed queues (${list})`,
      });
    }
  }
  const retry = task['retry'];
  if (isRecord(retry)) problems.push(...checkRetry(retry, `${path}.retry`));
  const limits = task['limits'];
  if (isRecord(limits)) {
    const cpus = limits['cpus'];
    const cpusChecked = typeof cpus === 'number' || (typeof cpus === 'string' && isShort(cpus));
    if (cpusChecked && parseCpus(cpus) === undefined) {
      problems.push({
        path: `${path}.limits.cpus`,
        message: `"${String(cpus)}" is not a positive number of CPUs (e.g. .5)`,
      });
    }
    const memory = limits['memory'];
    if (typeof memory === 'string' && isShort(memory) && parseSize(memory) === undefined) {
      problems.push({
        path: `${path}.limits.memory`,
        message: `"${memory}" is not a size (a positive integer with b, k, m or g, e.g. 10m)`,
      });
    }
  }
  const volumes = task['volumes'];
  if (Array.isArray(volumes)) {
    volumes.forEach((volume: unknown, index) => {
      if (
        typeof volume === 'string' &&
        volume !== '' &&
        volume.length <= SPEC_LIMITS.volumePathLength &&
        !/^\/[-/.0-9a-zA-Z_= ]*$/.test(volume)
      ) {
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
        if (step['image'] === undefined && policy.imagesOptional !== true)
          problems.push({ path: `${stepPath}.image`, message: 'required' });
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

function checkRetry(retry: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [];
  const delay = retry['initialDelay'];
  let delayOk = typeof delay !== 'string' || isShort(delay);
  if (typeof delay === 'string' && isShort(delay)) {
    const ms = parseDuration(delay);
    delayOk = ms !== undefined && ms > 0 && ms <= MAX_RETRY_INITIAL_DELAY_MS;
    if (ms === undefined)
      problems.push({ path: `${path}.initialDelay`, message: `"${delay}" is not a duration (e.g. 5s)` });
    else if (!delayOk)
      problems.push({ path: `${path}.initialDelay`, message: 'must be more than 0 and at most 5m' });
  }
  const factor = retry['scalingFactor'];
  const factorOk = !(typeof factor === 'number' && (factor < 1 || factor > MAX_RETRY_SCALING_FACTOR));
  if (!factorOk) problems.push({ path: `${path}.scalingFactor`, message: 'must be between 1 and 10' });
  const limit = retry['limit'];
  const shapeOk =
    Number.isInteger(limit) &&
    (delay == null || typeof delay === 'string') &&
    (factor == null || typeof factor === 'number');
  if (delayOk && factorOk && shapeOk) {
    const total = totalRetryDelayMs(retry as RetrySpec);
    if (total > SPEC_LIMITS.totalRetryDelayMs)
      problems.push({
        path,
        message: `its retries would wait ${formatDuration(total)} in all; at most ${formatDuration(SPEC_LIMITS.totalRetryDelayMs)} (lower limit, initialDelay or scalingFactor)`,
      });
  }
  return problems;
}

function checkCommon(task: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [];
  checkDuration(task['timeout'], `${path}.timeout`, SPEC_LIMITS.timeoutMs, problems);
  const env = task['env'];
  if (isRecord(env)) {
    for (const [key, value] of Object.entries(env)) {
      if (typeof value !== 'string') continue;
      // Only the API encrypts: a submitted envelope could be another job's secret, copied.
      if (isEncrypted(value))
        problems.push({ path: `${path}.env.${key}`, message: `may not start with "${ENVELOPE_PREFIX}"` });
      else checkTemplate(value, `${path}.env.${key}`, problems);
    }
  }
  return problems;
}

function checkDuration(value: unknown, path: string, maxMs: number | undefined, problems: Problem[]): void {
  if (typeof value !== 'string' || !isShort(value)) return;
  const ms = parseDuration(value);
  if (ms === undefined)
    problems.push({ path, message: `"${value}" is not a duration (e.g. 300ms, 45m, 1h)` });
  else if (ms <= 0) problems.push({ path, message: 'must be more than 0' });
  else if (maxMs !== undefined && ms > maxMs)
    problems.push({ path, message: `must be at most ${formatDuration(maxMs)}` });
}

function checkStringMap(value: unknown, path: string, problems: Problem[]): void {
  if (!isRecord(value)) return;
  for (const [key, item] of Object.entries(value)) checkTemplate(item, `${path}.${key}`, problems);
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

/** Longer texts already break the schema's maxLength: one problem is enough. */
function isShort(text: string): boolean {
  return text.length <= SPEC_LIMITS.shortTextLength;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
