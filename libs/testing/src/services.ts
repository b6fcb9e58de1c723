import Docker from 'dockerode';
import { describe } from 'vitest';

/** How long a probe waits for a service before calling it unreachable. */
const PROBE_TIMEOUT_MS = 3_000;

/** True when a Docker engine answers a ping (DOCKER_HOST or the default socket). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await new Docker({ timeout: PROBE_TIMEOUT_MS }).ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` for suites that need a real service. When the service is unreachable the suite is
 * skipped with a hint on a developer's machine, but fails under CI=true: CI must never pass by skipping.
 */
export function describeWithService(
  name: string,
  available: boolean,
  hint: string,
): ReturnType<typeof describe.skipIf> {
  if (!available) {
    const message = `${name} not reachable: ${hint}`;
    if (process.env['CI'] === 'true')
      throw new Error(`${message} (CI=true: tests that need it must run, not skip)`);
    console.warn(`skipping tests: ${message}`);
  }
  return describe.skipIf(!available);
}
