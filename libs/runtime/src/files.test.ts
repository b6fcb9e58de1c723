import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createArchive, readFirstFile, stagedEntries } from './files.js';

/** Feeds the archive in small pieces so headers and content straddle chunk boundaries. */
const chunked = (archive: Buffer, size = 100): Readable => {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < archive.length; offset += size)
    pieces.push(archive.subarray(offset, offset + size));
  return Readable.from(pieces);
};
const base = { name: 't', image: 'busybox', env: {}, mounts: [] };

describe('stagedEntries', () => {
  it('holds /tork and the script when the bootstrap does not write it', () => {
    expect(stagedEntries({ ...base, script: 'echo hi' }, 'archive')).toEqual([
      { path: '/tork/', mode: 0o1777 },
      { path: '/tork/entrypoint', mode: 0o755, data: 'echo hi' },
    ]);
    expect(stagedEntries({ ...base, script: 'echo hi', entrypoint: ['bash', '-c'] }, 'archive')).toEqual([
      { path: '/tork/', mode: 0o1777 },
    ]);
  });

  it('puts files read-only in the working directory, the runtime’s own by default', () => {
    expect(
      stagedEntries({ ...base, files: { 'a.txt': 'A', 'sub/b.sh': 'B' }, workdir: '/app' }, 'archive'),
    ).toContainEqual({ path: '/app/sub/b.sh', mode: 0o444, data: 'B' });
    expect(stagedEntries({ ...base, files: { 'a.txt': 'A' } }, 'archive').slice(1)).toEqual([
      { path: '/tork/workdir/', mode: 0o1777 },
      { path: '/tork/workdir/a.txt', mode: 0o444, data: 'A' },
    ]);
  });
});

describe('createArchive', () => {
  it('dates placeholders 1970, so a file the task never wrote is told apart', async () => {
    const archive = await createArchive([
      { path: '/tork/output', mode: 0o666, placeholder: true },
      { path: '/tork/real', mode: 0o644, data: 'x' },
    ]);
    const file = await readFirstFile(chunked(archive), 10);
    expect(file?.mtime.getTime()).toBe(0);
    expect(stagedEntries({ ...base, script: 'true' }, 'archive', true).slice(1)).toEqual([
      { path: '/tork/output', mode: 0o666, placeholder: true },
      { path: '/tork/progress', mode: 0o666, placeholder: true },
      { path: '/tork/entrypoint', mode: 0o755, data: 'true' },
    ]);
  });

  it('roots entries at /tork for a read-only root filesystem, and refuses files elsewhere', async () => {
    const archive = await createArchive(
      [
        { path: '/tork/', mode: 0o1777 },
        { path: '/tork/workdir/a.txt', mode: 0o444, data: 'A' },
      ],
      '/tork',
    );
    const listing = execFileSync('tar', ['-tf', '-'], { input: archive }).toString();
    expect(listing.split('\n').filter(Boolean)).toEqual(['./', 'workdir/a.txt']);
    await expect(
      createArchive([{ path: '/app/a.txt', mode: 0o444, data: 'A' }], '/tork'),
    ).rejects.toMatchObject({
      kind: 'rejected',
    });
  });
});

describe('tar', () => {
  it('round-trips a file, content straddling chunk boundaries', async () => {
    const archive = await createArchive([{ path: '/tork/entrypoint', mode: 0o755, data: 'echo héllo\n' }]);
    const data = Buffer.from('echo héllo\n', 'utf8');
    await expect(readFirstFile(chunked(archive), 1024)).resolves.toMatchObject({ data, size: data.length });
  });

  it('stops at maxBytes but reports the full size', async () => {
    const file = await readFirstFile(
      chunked(await createArchive([{ path: '/f', mode: 0o644, data: 'z'.repeat(5000) }])),
      700,
    );
    expect(file?.size).toBe(5000);
    expect(file?.data).toEqual(Buffer.alloc(700, 'z'));
  });

  it('returns undefined for an empty archive or a directory', async () => {
    await expect(readFirstFile(chunked(await createArchive([])), 10)).resolves.toBeUndefined();
    await expect(
      readFirstFile(chunked(await createArchive([{ path: '/tork/', mode: 0o1777 }])), 10),
    ).resolves.toBeUndefined();
  });

  it('rejects a corrupted header', async () => {
    const archive = await createArchive([{ path: '/f', mode: 0o644, data: 'x' }]);
    archive[0] = 'g'.charCodeAt(0);
    await expect(readFirstFile(chunked(archive), 10)).rejects.toThrow();
  });

  it('writes archives GNU tar lists with their modes, and reads its PAX archives', async () => {
    const archive = await createArchive([
      { path: '/tork/', mode: 0o1777 },
      { path: '/tork/entrypoint', mode: 0o755, data: 'echo hi\n' },
      { path: '/app/data.txt', mode: 0o444, data: 'x' },
    ]);
    const listing = execFileSync('tar', ['-tvf', '-'], { input: archive }).toString();
    expect(listing).toMatch(/^drwxrwxrwt root\/root .* tork\/$/m);
    expect(listing).toMatch(/^-rwxr-xr-x root\/root +8 .* tork\/entrypoint$/m);
    expect(listing).toMatch(/^-r--r--r-- root\/root +1 .* app\/data.txt$/m);

    const dir = mkdtempSync(join(tmpdir(), 'tork-tar-'));
    try {
      // A long name makes GNU tar emit a PAX extended header before the file.
      const name = `${'n'.repeat(120)}.txt`;
      writeFileSync(join(dir, name), 'pax content');
      const pax = execFileSync('tar', ['--format=pax', '-C', dir, '-cf', '-', name]);
      await expect(readFirstFile(chunked(pax, 77), 100)).resolves.toMatchObject({
        data: Buffer.from('pax content'),
        size: 11,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
