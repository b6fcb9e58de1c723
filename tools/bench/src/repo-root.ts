import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root: the first directory above this module holding nx.json. The bench runs from
 * tools/bench/dist, which is a link to a build under tools/bench/.builds (tools/build.mjs), and Node
 * resolves a module's URL through links, so a fixed number of `..` would depend on the layout.
 */
export function repoRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`no nx.json above ${from}: is the bench run from the repository?`);
  }
}
