import { ApiError, type ApiClient } from './api-client.js';
import {
  ENDED_JOB_STATES,
  type Execution,
  type Job,
  type LogEntry,
  type Page,
  type StateEvent,
} from './api-types.js';

/** What a follower reports as a job runs; a view (plain lines, the live screen, nothing) takes it. */
export interface FollowSink {
  /** The job and its executions as last read. */
  snapshot(
    job: Job,
    executions: ReadonlyMap<string, Execution>,
    subjobTasks: ReadonlyMap<string, readonly Execution[]>,
  ): void;
  /** A state change of the job (no execution) or of one of its tasks. */
  state(event: StateEvent, execution: Execution | undefined): void;
  log(entry: LogEntry, execution: Execution | undefined): void;
}

export interface FollowOptions {
  readonly signal: AbortSignal;
  /** Read the job every second too (for progress and subjobs), not only when its state changes. */
  readonly live: boolean;
  /** Follow the job's log as well. */
  readonly logs: boolean;
  /** How often to poll where the API has no live stream. */
  readonly pollMs?: number;
}

/** How long the log stream may take to deliver a job's last lines after the job ended. */
const LOG_DRAIN_MS = 5_000;

/**
 * Follows a job until it ends: its events stream (`GET /jobs/{id}/events`) for state changes and
 * its log stream (`GET /jobs/{id}/log?follow=true`) for output; where the API serves no stream,
 * it polls. Resolves with the job as it ended.
 */
export async function followJob(
  client: ApiClient,
  jobId: string,
  sink: FollowSink,
  options: FollowOptions,
): Promise<Job> {
  const pollMs = options.pollMs ?? 1_000;
  // Ends the streams and waits this follower started, when the caller aborts or the job has ended.
  const stop = new AbortController();
  const signal = stop.signal;
  const abort = (): void => {
    stop.abort();
  };
  options.signal.addEventListener('abort', abort, { once: true });
  const executions = new Map<string, Execution>();
  const subjobTasks = new Map<string, readonly Execution[]>();
  let ended = false;

  const refresh = async (): Promise<Job> => {
    const job = await client.get<Job>(`/jobs/${jobId}`);
    for (const execution of job.execution ?? []) executions.set(execution.id, execution);
    if (options.live) await readSubjobs(client, executions, subjobTasks);
    sink.snapshot(job, executions, subjobTasks);
    return job;
  };
  const executionOf = async (taskId: string | undefined): Promise<Execution | undefined> => {
    if (taskId === undefined) return undefined;
    if (!executions.has(taskId)) {
      const execution = await client.get<Execution>(`/tasks/${taskId}`).catch(() => undefined);
      if (execution !== undefined) executions.set(taskId, execution);
    }
    return executions.get(taskId);
  };

  const first = await refresh();
  let refreshing: Promise<unknown> = Promise.resolve();
  const refreshSoon = (): void => {
    refreshing = refreshing.then(refresh).catch(() => undefined);
  };
  const ticker = options.live ? setInterval(refreshSoon, pollMs) : undefined;

  const events = async (): Promise<void> => {
    if (ENDED_JOB_STATES.includes(first.state)) return;
    try {
      for await (const event of client.stream(`/jobs/${jobId}/events`, signal)) {
        if (event.event === 'end') return;
        if (event.event !== 'state') continue;
        const change = JSON.parse(event.data) as StateEvent;
        const execution = await executionOf(change.taskId);
        if (execution !== undefined) executions.set(execution.id, { ...execution, state: change.state });
        sink.state(change, execution === undefined ? undefined : executions.get(execution.id));
        refreshSoon();
      }
    } catch (error) {
      if (!streamMissing(error)) throw error;
    }
    // No stream, or one closed before the job ended (its API stopped): poll instead.
    await pollStates(first);
  };

  const pollStates = async (start: Job): Promise<void> => {
    const known = new Map([
      [jobId, start.state],
      ...[...executions].map(([id, e]) => [id, e.state] as const),
    ]);
    while (!signal.aborted) {
      const job = await refresh();
      for (const execution of (job.execution ?? []).filter((e) => known.get(e.id) !== e.state)) {
        known.set(execution.id, execution.state);
        sink.state({ jobId, taskId: execution.id, state: execution.state }, execution);
      }
      if (known.get(jobId) !== job.state) {
        known.set(jobId, job.state);
        sink.state({ jobId, state: job.state }, undefined);
      }
      if (ENDED_JOB_STATES.includes(job.state)) return;
      await sleep(pollMs, signal);
    }
  };

  const logs = async (): Promise<void> => {
    try {
      for await (const event of client.stream(`/jobs/${jobId}/log?follow=true`, signal)) {
        if (event.event === 'end') return;
        if (event.event !== 'log') continue;
        const entry = JSON.parse(event.data) as LogEntry;
        sink.log(entry, await executionOf(entry.taskId));
      }
    } catch (error) {
      if (!streamMissing(error)) throw error;
      await pollLogs();
    }
  };

  const pollLogs = async (): Promise<void> => {
    let seen = 0;
    for (;;) {
      const wasEnded = ended;
      const page = await client.get<Page<LogEntry>>(
        `/jobs/${jobId}/log?page=${Math.floor(seen / 100) + 1}&size=100`,
      );
      const fresh = page.items.slice(seen % 100);
      for (const entry of fresh) sink.log(entry, await executionOf(entry.taskId));
      seen += fresh.length;
      if (fresh.length > 0 && seen % 100 === 0) continue;
      if (wasEnded || signal.aborted) return;
      await sleep(pollMs, signal);
    }
  };

  try {
    const following = options.logs ? logs() : Promise.resolve();
    // A log stream failing after the job ended is not worth an unhandled rejection.
    following.catch(() => undefined);
    await events();
    ended = true;
    await refreshing;
    // Output stored just after the job ended still comes before the log stream's end.
    await Promise.race([following, sleep(LOG_DRAIN_MS, signal)]);
    return await refresh();
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    options.signal.removeEventListener('abort', abort);
    stop.abort();
  }
}

/** The executions of each subjob's own job, for the tree. */
async function readSubjobs(
  client: ApiClient,
  executions: ReadonlyMap<string, Execution>,
  into: Map<string, readonly Execution[]>,
): Promise<void> {
  for (const execution of executions.values()) {
    if (execution.subjobId === undefined) continue;
    const job = await client.get<Job>(`/jobs/${execution.subjobId}`).catch(() => undefined);
    if (job !== undefined) into.set(execution.subjobId, job.execution ?? []);
  }
}

/** An answer that means "no stream here" (an older API, or streams all taken) rather than "not allowed". */
function streamMissing(error: unknown): boolean {
  return error instanceof ApiError && ![401, 403].includes(error.status);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
