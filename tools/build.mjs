#!/usr/bin/env node
// Builds the project in the current directory with esbuild: an app into one ESM bundle
// (dist/main.js), a library into dist/index.js. Workspace sources (@tork/*) are bundled in;
// npm dependencies stay external so the production install supplies them.
import { build } from 'esbuild';
import { readFileSync, existsSync } from 'node:fs';
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
const entry = existsSync(join(projectRoot, 'src/main.ts')) ? 'src/main.ts' : 'src/index.ts';

await build({
  absWorkingDir: projectRoot,
  entryPoints: [entry],
  outfile: entry === 'src/main.ts' ? 'dist/main.js' : 'dist/index.js',
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
