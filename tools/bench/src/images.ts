import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo-root.js';

const execute = promisify(execFile);
const SCRIPT = join(repoRoot(), 'tools/test-images.sh');
export const TEST_IMAGES_COMMAND = 'bash tools/test-images.sh';

/** The test image could not be built: the message says which command to run. */
export class TestImageError extends Error {
  override readonly name = 'TestImageError';
}

/**
 * Builds the busybox test image the docker scenarios run (no registry is reachable here, so the
 * engine could not pull it and every job would fail). The script returns at once when it is there.
 */
export async function ensureTestImage(script = SCRIPT): Promise<void> {
  try {
    await execute('bash', [script]);
  } catch (error) {
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? error.stderr : '';
    const output = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(error);
    throw new TestImageError(
      `the docker scenarios need the test image tork/busybox:latest, and building it failed:\n` +
        `  ${output}\n` +
        `Run \`${TEST_IMAGES_COMMAND}\` from the repository root (it needs Docker, busybox-static and ` +
        `bash-static), or leave the docker scenarios out with --only.`,
    );
  }
}
