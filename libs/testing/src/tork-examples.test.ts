import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { torkExamplesDir, torkExamplesLocation } from './tork-examples.js';

describe("where Tork's example jobs are found", () => {
  const configured = process.env['TORK_EXAMPLES_DIR'];

  afterEach(() => {
    if (configured === undefined) delete process.env['TORK_EXAMPLES_DIR'];
    else process.env['TORK_EXAMPLES_DIR'] = configured;
  });

  it('is the folder TORK_EXAMPLES_DIR names, when it exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tork-examples-'));
    try {
      process.env['TORK_EXAMPLES_DIR'] = dir;
      expect(torkExamplesDir()).toBe(dir);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('is undefined when that folder does not exist, and says where it looked', () => {
    const missing = join(tmpdir(), 'no-such-tork-examples');
    process.env['TORK_EXAMPLES_DIR'] = missing;
    expect(torkExamplesDir()).toBeUndefined();
    expect(torkExamplesLocation()).toBe(missing);
  });

  it('is ../shared/reference/tork-examples beside the repository without TORK_EXAMPLES_DIR', () => {
    delete process.env['TORK_EXAMPLES_DIR'];
    const repo = resolve(import.meta.dirname, '../../..');
    expect(torkExamplesLocation()).toBe(join(repo, '..', 'shared', 'reference', 'tork-examples'));
  });
});
