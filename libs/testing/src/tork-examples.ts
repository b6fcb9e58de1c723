import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** Beside the clone, as CI lays it out: reference files, never copied into the repository. */
const BESIDE_THE_CLONE = fileURLToPath(
  new URL('../../../../shared/reference/tork-examples', import.meta.url),
);

/** Where Tork's published example jobs (the Go project's `examples/*.yaml` at 0.1.153) are looked for. */
export function torkExamplesLocation(): string {
  const configured = process.env['TORK_EXAMPLES_DIR'];
  return configured !== undefined && configured !== '' ? resolve(configured) : BESIDE_THE_CLONE;
}

/** The folder of Tork's published example jobs: TORK_EXAMPLES_DIR, else `<repo>/../shared/reference/tork-examples`; undefined when absent. */
export function torkExamplesDir(): string | undefined {
  const dir = torkExamplesLocation();
  return existsSync(dir) ? dir : undefined;
}

/**
 * A suite over Tork's example jobs, given their folder. When the folder is absent the suite is skipped
 * saying which folder it looked for: they are reference files, not a service, so this holds under
 * CI=true too.
 */
export function describeWithTorkExamples(name: string, suite: (dir: string) => void): void {
  const dir = torkExamplesDir();
  const missing = `Tork's example jobs not found at ${torkExamplesLocation()} (TORK_EXAMPLES_DIR names another folder)`;
  if (dir === undefined) console.warn(`skipping tests: ${missing}`);
  describe.skipIf(dir === undefined)(name, () => {
    if (dir === undefined) it(missing, () => undefined);
    else suite(dir);
  });
}
