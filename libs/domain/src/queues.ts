/** The queues the engine itself uses. Task queues may not take these names. */
export const QUEUE = {
  jobs: 'jobs',
  pending: 'pending',
  started: 'started',
  completed: 'completed',
  error: 'error',
  heartbeat: 'heartbeat',
  logs: 'logs',
  progress: 'progress',
  /** Messages no handler could read (not of the catalog, or of an unknown version), kept to look at. */
  deadLetters: 'dead-letters',
} as const;

export type CoordinatorQueue = (typeof QUEUE)[keyof typeof QUEUE];

export const DEFAULT_QUEUE = 'default';

const RESERVED = new Set<string>(Object.values(QUEUE));

/** The queue each worker consumes for commands addressed to it (cancellation). */
export function workerQueue(nodeId: string): string {
  return `x-${nodeId}`;
}

/** The engine's queues, workers' own `x-` queues, and RabbitMQ's `amq.` (declaring one closes the channel). */
export function isReservedQueue(name: string): boolean {
  return RESERVED.has(name) || name.startsWith('x-') || name.startsWith('amq.');
}

export const QUEUE_NAME_MAX_LENGTH = 100;
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
