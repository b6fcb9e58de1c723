#!/usr/bin/env node
// Fails when package-lock.json locks a version that tools/advisories.json lists as affected: the
// stand-in for `npm audit` where the registry does not answer it (see .ci/run).
//   node tools/check-advisories.mjs [package-lock.json] [advisories.json]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** [major, minor, patch] of `1.2.3` (a pre-release counts as the release before it is out: lower). */
function parse(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)(-.+)?$/.exec(version);
  if (match === null) throw new Error(`not a version: ${version}`);
  const [major, minor, patch] = match.slice(1, 4).map(Number);
  return { parts: [major, minor, patch], prerelease: match[4] !== undefined };
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a.parts[i] !== b.parts[i]) return a.parts[i] - b.parts[i];
  return Number(b.prerelease) - Number(a.prerelease);
}

/**
 * Whether `version` is affected by an advisory fixed in `fixed` (one first-safe version per release
 * line): below the fix of its own line, or on an older line with no fix of its own.
 */
export function isAffected(version, fixed) {
  const locked = parse(version);
  const fixes = fixed.map(parse);
  const sameLine = fixes.find((fix) => fix.parts[0] === locked.parts[0]);
  if (sameLine !== undefined) return compare(locked, sameLine) < 0;
  return fixes.some((fix) => fix.parts[0] > locked.parts[0]);
}

/** Every locked package (name, version, where) that an advisory covers. */
export function findings(lock, advisories) {
  const found = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || entry.link === true || typeof entry.version !== 'string') continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    for (const advisory of advisories) {
      if (advisory.package === name && isAffected(entry.version, advisory.fixed))
        found.push({ name, version: entry.version, path, advisory });
    }
  }
  return found;
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const lockPath = process.argv[2] ?? join(root, 'package-lock.json');
  const listPath = process.argv[3] ?? join(root, 'tools/advisories.json');
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  const { advisories } = JSON.parse(readFileSync(listPath, 'utf8'));
  const found = findings(lock, advisories);
  for (const { name, version, path, advisory } of found) {
    const line = advisory.fixed.find((fix) => fix.split('.')[0] === version.split('.')[0]);
    console.error(
      `${name}@${version} (${path}): ${advisory.ids.join(', ')}: ${advisory.summary}; first safe ${line ?? advisory.fixed.join(' / ')}`,
    );
  }
  if (found.length > 0) {
    console.error(`check-advisories: ${found.length} locked package(s) with known advisories`);
    process.exit(1);
  }
  const packages = new Set(advisories.map((advisory) => advisory.package));
  console.log(
    `check-advisories: no locked version below a fix (${advisories.length} advisories, ${packages.size} packages)`,
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
