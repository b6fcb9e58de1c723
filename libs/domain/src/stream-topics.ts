import type { TaskLogEntry } from './task.js';

/**
 * Topics of the fan-out notices (Broker.publishEvent) that live streams follow. A notice is a hint
 * to read the datastore again or a copy of what was stored there, never the record itself.
 */
export const logTopic = (jobId: string, taskId: string): string => `logs.${jobId}.${taskId}`;
/** Every task's log of a job. */
export const jobLogTopics = (jobId: string): string => `logs.${jobId}.*`;
export const stateTopic = (jobId: string): string => `events.${jobId}`;

/** Published on `logTopic` once entries are stored. */
export interface LogNotice {
  readonly jobId: string;
  readonly taskId: string;
  readonly entries: readonly TaskLogEntry[];
}

/** Published on `stateTopic` once a job's or its tasks' states changed: read its events after the last seen. */
export interface StateNotice {
  readonly jobId: string;
}
