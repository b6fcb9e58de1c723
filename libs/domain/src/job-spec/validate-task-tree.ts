import type { Problem } from '../errors.js';
import { checkDuration, checkExpression, checkStringMap, checkTemplate, isRecord } from './field-checks.js';
import type { JobSpecPolicy } from './policy.js';
import { SPEC_LIMITS } from './spec-limits.js';
import { checkTaskContainer } from './validate-container.js';
import { checkTaskFields } from './validate-task-fields.js';
import { checkWebhooks } from './validate-webhooks.js';

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
export class SpecWalker {
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
      problems.push(...checkTaskFields(task, path, this.policy));
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
