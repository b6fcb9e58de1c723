import type { Problem } from '../errors.js';
import { checkDuration, checkStringMap, checkTemplate, isRecord } from './field-checks.js';
import type { JobSpecPolicy } from './policy.js';
import { SPEC_LIMITS } from './spec-limits.js';
import { checkTaskFields } from './validate-task-fields.js';
import { SpecWalker } from './validate-task-tree.js';
import { checkWebhooks } from './validate-webhooks.js';

/** What the schema cannot say about a job: its task tree, its expressions, durations and webhooks. */
export function checkSemantics(body: Record<string, unknown>, policy: JobSpecPolicy): Problem[] {
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
  if (isRecord(defaults)) problems.push(...checkTaskFields(defaults, 'defaults', {}));
  const wait = body['wait'];
  if (isRecord(wait)) checkDuration(wait['timeout'], 'wait.timeout', SPEC_LIMITS.waitMs, problems);
  const autoDelete = body['autoDelete'];
  if (isRecord(autoDelete)) checkDuration(autoDelete['after'], 'autoDelete.after', undefined, problems);
  checkWebhooks(body['webhooks'], 'webhooks', problems);
  return problems;
}
