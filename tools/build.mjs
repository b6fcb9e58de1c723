#!/usr/bin/env node
// Builds a project with esbuild: an app into an ESM bundle (dist/main.js plus the chunks it imports
// on demand, dist/chunks/*.js), a library into dist/index.js. Workspace sources (@tork/*) are bundled
// in; npm dependencies stay external so the production install supplies them.
//
//   node tools/build.mjs [PROJECT_DIR] [--force]     (PROJECT_DIR defaults to the current directory)
//
// An app's dist is a symlink to .builds/<id>, switched by an atomic rename, so a build never rewrites
// files a running process loads (README, "Starting several processes"); a build whose inputs did not change is skipped.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const force = args.includes('--force') || process.env.TORK_BUILD_FORCE === '1';
const projectRoot = resolve(args.find((arg) => !arg.startsWith('--')) ?? process.cwd());
const rootManifest = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
const packages = [
  ...Object.keys(rootManifest.dependencies ?? {}),
  ...Object.keys(rootManifest.devDependencies ?? {}),
];
const external = packages.flatMap((name) => [name, `${name}/*`]);
const app = existsSync(join(projectRoot, 'src/main.ts'));

/** Files every build reads besides the bundle's own inputs. */
const CONFIG_FILES = ['tsconfig.base.json', 'package.json', 'tools/build.mjs'].map((file) =>
  join(workspaceRoot, file),
);
const STAMP = 'build-inputs.json';
/** Old builds are removed only when this old, so a process still loading chunks of one is not hurt. */
const KEEP_OLD_BUILDS_MS = 60 * 60 * 1000;
const KEEP_NEWEST_BUILDS = 3;

const common = {
  absWorkingDir: projectRoot,
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
};

if (app) await buildApp();
else await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' });

async function buildApp() {
  const dist = join(projectRoot, 'dist');
  const builds = join(projectRoot, '.builds');
  if (!force && upToDate(join(dist, STAMP))) return;
  mkdirSync(builds, { recursive: true });
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const staging = join(builds, `${id}.tmp`);
  // Code reached only through import() goes into chunks of its own, so that a process loads only
  // the libraries (and their npm dependencies) of its mode.
  const result = await build({
    ...common,
    entryPoints: ['src/main.ts'],
    outdir: staging,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
  });
  const inputs = [
    ...Object.keys(result.metafile.inputs).map((file) => join(projectRoot, file)),
    ...CONFIG_FILES,
  ];
  writeFileSync(
    join(staging, STAMP),
    JSON.stringify(Object.fromEntries(inputs.map((file) => [file, digest(file)]))),
  );
  renameSync(staging, join(builds, id));
  publish(dist, `.builds/${id}`);
  prune(builds, id);
}

/** True when the build `stamp` describes was made from the files as they are now. */
function upToDate(stamp) {
  try {
    const recorded = JSON.parse(readFileSync(stamp, 'utf8'));
    return Object.entries(recorded).every(([file, hash]) => digest(file) === hash);
  } catch {
    // No build yet, or one removed under us, or an input gone: build.
    return false;
  }
}

/** Points `dist` at `target` in one rename: a process opens either the old build or the new one, whole. */
function publish(dist, target) {
  const link = `${dist}.${process.pid}.link`;
  rmSync(link, { force: true });
  symlinkSync(target, link, 'dir');
  // A dist directory from before builds were switched by a link cannot be renamed over.
  if (existsSync(dist) && !lstatSync(dist).isSymbolicLink()) rmSync(dist, { recursive: true, force: true });
  renameSync(link, dist);
}

function prune(builds, current) {
  const now = Date.now();
  const entries = readdirSync(builds)
    .filter((name) => name !== current)
    .flatMap((name) => {
      const mtime = mtimeOf(join(builds, name));
      return mtime === undefined ? [] : [{ name, mtime }];
    })
    .sort((a, b) => b.mtime - a.mtime);
  entries.forEach(({ name, mtime }, index) => {
    const old = now - mtime > KEEP_OLD_BUILDS_MS;
    if (old && (name.endsWith('.tmp') || index >= KEEP_NEWEST_BUILDS - 1))
      rmSync(join(builds, name), { recursive: true, force: true });
  });
}

/** Another start may rename or remove a build between our listing and our look. */
function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function digest(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
