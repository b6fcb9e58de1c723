import type { Problem } from '../errors.js';
import { DEFAULT_QUEUE, isReservedQueue, QUEUE_NAME_MAX_LENGTH, QUEUE_NAME_PATTERN } from '../queues.js';
import { hasExpressions } from '../workflow/templates.js';
import { checkTemplate } from './field-checks.js';
import type { JobSpecPolicy } from './policy.js';

/** A task's `queue` (or the defaults'): a name a task may be routed to, and one the policy allows. */
export function checkQueue(queue: unknown, path: string, policy: JobSpecPolicy, problems: Problem[]): void {
  if (typeof queue === 'string' && hasExpressions(queue)) {
    // Checked as any queue name once evaluated, when the task is created.
    checkTemplate(queue, path, problems);
  } else if (typeof queue === 'string' && queue !== '' && queue.length <= QUEUE_NAME_MAX_LENGTH) {
    problems.push(...checkQueueName(queue, path));
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
        path,
        message:
          queue === undefined
            ? `required: the default queue is not among the allowed queues (${list})`
            : `"${effective}" is not one of the allowed queues (${list})`,
      });
    }
  }
}

/** A queue name a task may be routed to: not one of the engine's own, and safe for every broker. */
export function checkQueueName(queue: string, path: string): Problem[] {
  if (isReservedQueue(queue)) return [{ path, message: `"${queue}" is reserved by the engine` }];
  if (!QUEUE_NAME_PATTERN.test(queue))
    return [{ path, message: 'may contain only letters, digits, "_", "." and "-"' }];
  return [];
}
