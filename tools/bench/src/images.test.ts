import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTestImage, TestImageError } from './images.js';

const execute = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'bench-images-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('ensureTestImage', () => {
  it('leaves tork/busybox:latest in the local Docker engine', async () => {
    await ensureTestImage();
    const { stdout } = await execute('docker', [
      'image',
      'inspect',
      '--format',
      '{{.Id}}',
      'tork/busybox:latest',
    ]);
    expect(stdout.trim()).toMatch(/^sha256:/);
  });

  it('names the command to run and the reason when the image cannot be built', async () => {
    const failing = join(scratch, 'failing.sh');
    writeFileSync(failing, "echo '/bin/busybox not found: install busybox-static' >&2\nexit 1\n");
    const attempt = ensureTestImage(failing);
    await expect(attempt).rejects.toBeInstanceOf(TestImageError);
    await expect(attempt).rejects.toThrow(/bash tools\/test-images\.sh/);
    await expect(attempt).rejects.toThrow(/install busybox-static/);
  });
});
