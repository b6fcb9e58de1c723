import { formatDuration, parseDuration } from '../duration.js';
import type { Problem } from '../errors.js';
import { ENVELOPE_PREFIX, isEncrypted } from '../keyring.js';
import { MAX_RETRY_INITIAL_DELAY_MS, MAX_RETRY_SCALING_FACTOR, totalRetryDelayMs } from '../retry-delay.js';
import { parseCpus, parseSize } from '../size.js';
import { checkDuration, checkTemplate, isRecord, isShort } from './field-checks.js';
import type { JobSpecPolicy } from './policy.js';
import { SPEC_LIMITS } from './spec-limits.js';
import type { RetrySpec } from './types.js';
import { checkQueue } from './validate-queue.js';

/**
 * The fields of a task that runs a container (or of a job's defaults for such tasks): image, queue,
 * retry, limits, volumes, timeout, env, and the image, timeout and env of its pre and post tasks.
 * What its container runs with (files, mounts, sidecars, ...) is checked in validate-container.ts.
 */
export function checkTaskFields(
  task: Record<string, unknown>,
  path: string,
  policy: JobSpecPolicy,
): Problem[] {
  const problems: Problem[] = [...checkCommon(task, path)];
  checkTemplate(task['image'], `${path}.image`, problems);
  checkQueue(task['queue'], `${path}.queue`, policy, problems);
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

/** What a task and its pre and post tasks have alike: a timeout, and env values that may use templates. */
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
