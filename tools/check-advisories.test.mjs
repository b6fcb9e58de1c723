import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findings, isAffected } from './check-advisories.mjs';

const script = fileURLToPath(new URL('./check-advisories.mjs', import.meta.url));

test('a version below the fix of its own line is affected; the fix and later are not', () => {
  assert.equal(isAffected('9.3.0', ['10.1.3']), true);
  assert.equal(isAffected('10.1.2', ['10.1.3']), true);
  assert.equal(isAffected('10.1.3', ['10.1.3']), false);
  assert.equal(isAffected('10.2.0', ['10.1.3']), false);
  assert.equal(isAffected('11.0.0', ['10.1.3']), false);
  assert.equal(isAffected('10.1.3-rc.1', ['10.1.3']), true);
});

test('each release line has its own fix; a line older than any fix is affected', () => {
  assert.equal(isAffected('6.15.0', ['6.14.0', '8.18.0']), false);
  assert.equal(isAffected('6.12.6', ['6.14.0', '8.18.0']), true);
  assert.equal(isAffected('7.2.4', ['6.14.0', '8.18.0']), true);
  assert.equal(isAffected('8.17.1', ['6.14.0', '8.18.0']), true);
  assert.equal(isAffected('5.0.0', ['6.14.0', '8.18.0']), true);
});

test('finds locked packages by name wherever they are nested, ignoring workspace links', () => {
  const lock = {
    packages: {
      '': { name: 'root' },
      'node_modules/@fastify/static': { version: '9.3.0' },
      'node_modules/a/node_modules/@fastify/static': { version: '10.1.3' },
      'node_modules/@zkochan/js-yaml': { version: '0.0.7' },
      'node_modules/@tork/domain': { resolved: 'libs/domain', link: true },
    },
  };
  const advisories = [
    { package: '@fastify/static', ids: ['GHSA-423g-23ch-w7c6'], fixed: ['10.1.3'], summary: 's' },
    { package: 'js-yaml', ids: ['X'], fixed: ['4.3.2'], summary: 's' },
  ];
  assert.deepEqual(
    findings(lock, advisories).map((found) => `${found.path}@${found.version}`),
    ['node_modules/@fastify/static@9.3.0'],
  );
});

test('the command fails naming the package, the advisory and the first safe version', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advisories-'));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ packages: { 'node_modules/@fastify/static': { version: '9.3.0' } } }),
  );
  writeFileSync(
    join(dir, 'advisories.json'),
    JSON.stringify({
      advisories: [
        { package: '@fastify/static', ids: ['GHSA-423g-23ch-w7c6'], fixed: ['10.1.3'], summary: 'bypass' },
      ],
    }),
  );
  const run = spawnSync(
    process.execPath,
    [script, join(dir, 'package-lock.json'), join(dir, 'advisories.json')],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 1);
  assert.match(run.stderr, /@fastify\/static@9\.3\.0 .*GHSA-423g-23ch-w7c6: bypass; first safe 10\.1\.3/);
});

test("the project's own lock file passes", () => {
  assert.match(
    execFileSync(process.execPath, [script], { encoding: 'utf8' }),
    /no locked version below a fix/,
  );
});
