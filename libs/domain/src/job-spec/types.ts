import type { Static } from '@sinclair/typebox';
import type { Permission } from '../principal.js';
import type { WebhookSpec } from '../webhooks/webhook.js';
import type { AuxContainerFields, TaskContainerFields } from './container-fields.schema.js';
import type { AutoDeleteSchema, LimitsSpecSchema, RetrySpecSchema } from './fields.schema.js';
import type { JobDefaultsSchema } from './job.schema.js';
import type { AuxTaskSpecSchema } from './task.schema.js';

/** The job spec as the engine holds it once validated (parse.ts): its schemas' types, env values strings. */

export type EnvSpec = Record<string, string>;
export type RetrySpec = Static<typeof RetrySpecSchema>;
export type LimitsSpec = Static<typeof LimitsSpecSchema>;
export type JobDefaults = Static<typeof JobDefaultsSchema>;
export type AutoDeleteSpec = Static<typeof AutoDeleteSchema>;

/** A pre or post task after validation: env values are strings. */
export type AuxTaskSpec = Omit<Static<typeof AuxTaskSpecSchema>, 'env'> & {
  env?: EnvSpec;
} & AuxContainerFields;

export interface ParallelSpec {
  tasks: TaskSpec[];
}

export interface EachSpec {
  list: string;
  task: TaskSpec;
  var?: string;
  concurrency?: number;
}

export interface SubjobSpec {
  name?: string;
  description?: string;
  tasks: TaskSpec[];
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  output?: string;
  detached?: boolean;
  autoDelete?: AutoDeleteSpec;
  webhooks?: WebhookSpec[];
}

/** A task spec after validation: env values are strings. */
export interface TaskSpec extends TaskContainerFields {
  name?: string;
  description?: string;
  tags?: string[];
  image?: string;
  run?: string;
  env?: EnvSpec;
  queue?: string;
  priority?: number;
  pre?: AuxTaskSpec[];
  post?: AuxTaskSpec[];
  volumes?: string[];
  retry?: RetrySpec;
  timeout?: string;
  limits?: LimitsSpec;
  var?: string;
  if?: string;
  parallel?: ParallelSpec;
  each?: EachSpec;
  subjob?: SubjobSpec;
}

export interface JobSpec {
  name?: string;
  description?: string;
  tags?: string[];
  tasks: TaskSpec[];
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  output?: string;
  defaults?: JobDefaults;
  autoDelete?: AutoDeleteSpec;
  wait?: { timeout: string };
  permissions?: Permission[];
  webhooks?: WebhookSpec[];
}

/** What a task runs: a container, or other tasks. */
export type TaskKind = 'task' | 'parallel' | 'each' | 'subjob';

export function taskKind(spec: TaskSpec): TaskKind {
  if (spec.parallel !== undefined) return 'parallel';
  if (spec.each !== undefined) return 'each';
  if (spec.subjob !== undefined) return 'subjob';
  return 'task';
}
