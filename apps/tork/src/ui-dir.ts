import { dirname, join, resolve } from 'node:path';
import type { TorkConfig } from './config.js';

/**
 * The dashboard the API serves: -ui-dir, else apps/web/dist of this installation, found from the
 * script node runs (apps/tork/bin/tork.js or apps/tork/dist/main.js, in the repository and in the
 * images alike). Kept only where its index.html is; a -ui-dir without one is worth a warning.
 */
export function withUiDir(
  config: TorkConfig,
  script: string | undefined,
  isFile: (path: string) => boolean,
): TorkConfig {
  const { uiDir: given, ...rest } = config;
  const dir = given ?? (script === undefined ? undefined : join(dirname(resolve(script)), '../../web/dist'));
  if (dir !== undefined && isFile(join(dir, 'index.html'))) return { ...rest, uiDir: dir };
  if (given === undefined) return rest;
  return {
    ...rest,
    warnings: [...rest.warnings, `-ui-dir ${given} holds no index.html: the dashboard is not served`],
  };
}
