import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createTar, readFirstFile } from './tar.js';

/** Feeds the archive in small pieces so headers and content straddle chunk boundaries. */
const chunked = (archive: Buffer, size = 100): Readable => {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < archive.length; offset += size)
    pieces.push(archive.subarray(offset, offset + size));
  return Readable.from(pieces);
};

describe('tar', () => {
  it('round-trips a file, content straddling chunk boundaries', async () => {
    const data = Buffer.from('echo héllo\n', 'utf8');
    const archive = createTar([{ name: 'entrypoint', type: 'file', mode: 0o755, data }]);
    expect(archive.length % 512).toBe(0);
    await expect(readFirstFile(chunked(archive), 1024)).resolves.toEqual({ data, size: data.length });
  });

  it('stops at maxBytes but reports the full size', async () => {
    const data = Buffer.alloc(5000, 'z');
    const file = await readFirstFile(
      chunked(createTar([{ name: 'f', type: 'file', mode: 0o644, data }])),
      700,
    );
    expect(file?.size).toBe(5000);
    expect(file?.data).toEqual(Buffer.alloc(700, 'z'));
  });

  it('returns undefined for an empty archive or a directory', async () => {
    await expect(readFirstFile(chunked(createTar([])), 10)).resolves.toBeUndefined();
    const dir = createTar([{ name: 'tork/', type: 'directory', mode: 0o1777 }]);
    await expect(readFirstFile(chunked(dir), 10)).resolves.toBeUndefined();
  });

  it('rejects a corrupted header', async () => {
    const archive = createTar([{ name: 'f', type: 'file', mode: 0o644, data: Buffer.from('x') }]);
    archive[0] = 'g'.charCodeAt(0);
    await expect(readFirstFile(chunked(archive), 10)).rejects.toThrow('checksum');
  });

  it('writes archives GNU tar lists, and reads its PAX archives', async () => {
    const archive = createTar([
      { name: 'tork/', type: 'directory', mode: 0o1777 },
      { name: 'tork/entrypoint', type: 'file', mode: 0o755, data: Buffer.from('echo hi\n') },
    ]);
    const listing = execFileSync('tar', ['-tvf', '-'], { input: archive }).toString();
    expect(listing).toMatch(/^drwxrwxrwt root\/root .* tork\/$/m);
    expect(listing).toMatch(/^-rwxr-xr-x root\/root +8 .* tork\/entrypoint$/m);

    const dir = mkdtempSync(join(tmpdir(), 'tork-tar-'));
    try {
      // A long name makes GNU tar emit a PAX extended header before the file.
      const name = `${'n'.repeat(120)}.txt`;
      writeFileSync(join(dir, name), 'pax content');
      const pax = execFileSync('tar', ['--format=pax', '-C', dir, '-cf', '-', name]);
      await expect(readFirstFile(chunked(pax, 77), 100)).resolves.toEqual({
        data: Buffer.from('pax content'),
        size: 11,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
