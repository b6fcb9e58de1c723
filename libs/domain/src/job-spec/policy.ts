import type { Problem } from '../errors.js';
import type { RuntimeFeatures } from '../ports/runtime.js';
import { policyProblems, unsupportedFieldProblems, type WorkerPolicy } from '../worker-policy.js';
import { taskKind, type TaskSpec } from './types.js';

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

/** Every regular task of a tree (nested ones too) under the workers' policy and runtime. */
export function engineProblems(spec: TaskSpec, policy: JobSpecPolicy, path: string): Problem[] {
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
