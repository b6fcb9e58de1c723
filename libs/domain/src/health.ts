import { errorMessage } from './errors.js';

export type HealthStatus = 'UP' | 'DOWN';

/** Resolves when the dependency answers; rejects (with whatever the driver says) when it does not. */
export type HealthCheck = () => Promise<void>;

export interface HealthReport {
  readonly status: HealthStatus;
  /** Each check's outcome: all a health endpoint may show. */
  readonly checks: Readonly<Record<string, HealthStatus>>;
  /** Why each failed check failed, for the log only: driver text names hosts and users. */
  readonly failures: Readonly<Record<string, string>>;
}

/** A check that has not answered by then counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 5000;

/** Runs every check at once, each bounded by `timeoutMs`; DOWN when any fails or is late. */
export async function runHealthChecks(
  checks: Readonly<Record<string, HealthCheck>>,
  timeoutMs = HEALTH_CHECK_TIMEOUT_MS,
): Promise<HealthReport> {
  const outcomes = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await failureOf(check, timeoutMs)] as const),
  );
  const statuses: Record<string, HealthStatus> = {};
  const failures: Record<string, string> = {};
  for (const [name, failure] of outcomes) {
    statuses[name] = failure === undefined ? 'UP' : 'DOWN';
    if (failure !== undefined) failures[name] = failure;
  }
  return {
    status: Object.keys(failures).length === 0 ? 'UP' : 'DOWN',
    checks: statuses,
    failures,
  };
}

async function failureOf(check: HealthCheck, timeoutMs: number): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([check(), late]);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  } finally {
    clearTimeout(timer);
  }
}
