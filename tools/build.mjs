#!/usr/bin/env node
// Builds the project in the current directory with esbuild: an app into an ESM bundle
// (dist/main.js plus the chunks it imports on demand, dist/chunks/*.js), a library into
// dist/index.js. Workspace sources (@tork/*) are bundled in; npm dependencies stay external so the
// production install supplies them.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const projectRoot = process.cwd();
const rootManifest = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
const packages = [
  ...Object.keys(rootManifest.dependencies ?? {}),
  ...Object.keys(rootManifest.devDependencies ?? {}),
];
const external = packages.flatMap((name) => [name, `${name}/*`]);
const app = existsSync(join(projectRoot, 'src/main.ts'));

// Code that an app reaches only through import() goes into chunks of its own, so that a process
// loads only the libraries (and their npm dependencies) of its mode. The chunk names change with
// their content: stale ones are removed first.
if (app) rmSync(join(projectRoot, 'dist'), { recursive: true, force: true });

await build({
  absWorkingDir: projectRoot,
  ...(app
    ? { entryPoints: ['src/main.ts'], outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]' }
    : { entryPoints: ['src/index.ts'], outfile: 'dist/index.js' }),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external,
  tsconfig: join(workspaceRoot, 'tsconfig.base.json'),
  // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __torkCreateRequire } from 'node:module'; const require = __torkCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
