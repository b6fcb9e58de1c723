import type { ErrorObject } from 'ajv';
import { MAX_PROBLEMS, type Problem } from '../errors.js';
import { isRecord } from './field-checks.js';
import { ENV_NAME_PATTERN } from './fields.schema.js';
import { TaskSpecSchema } from './task.schema.js';
import { HEADER_NAME_PATTERN, WEBHOOK_URL_PATTERN } from './webhooks.schema.js';

/*
 * The schema's errors (Ajv's) as problems a person reads: one per path and rule, at paths such as
 * `tasks[0].image`, and at most MAX_PROBLEMS of them kept.
 */

/** The first problems found, and how many there were in all. */
export class ProblemList {
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
export function findOversized(node: SchemaNode, value: unknown, path: string, found: Problem[]): void {
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
