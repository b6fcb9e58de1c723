import { posix } from 'node:path';
import { extract, pack } from 'tar-stream';
import { RuntimeError } from '@tork/domain';
import type { ContainerSpec } from '@tork/domain';
import {
  DEFAULT_WORKDIR,
  ENTRYPOINT_PATH,
  OUTPUT_PATH,
  PROGRESS_PATH,
  TORK_DIR,
  workdirOf,
} from './container-spec.js';
import type { Staging } from './container-spec.js';

export interface ArchiveEntry {
  /** Absolute path inside the container; directories end with `/`. */
  readonly path: string;
  readonly mode: number;
  readonly data?: string;
  /** An empty file dated 1970 that the task may overwrite: not a result until it does. */
  readonly placeholder?: boolean;
}

/** The date of placeholders: a file still dated so was never written by the task. */
export const PLACEHOLDER_MTIME = new Date(0);

/**
 * What `putArchive` copies in before the start: /tork (so every task can write $TORK_OUTPUT), the
 * script when the bootstrap does not write it, and `files`, read-only, in the working directory.
 */
export function stagedEntries(spec: ContainerSpec, staging: Staging, readOnlyRootfs = false): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [{ path: `${TORK_DIR}/`, mode: 0o1777 }];
  // On a read-only root /tork is a volume whose root stays 755 (root's): a user other than root may
  // still write these two files, made in advance.
  if (readOnlyRootfs)
    entries.push(
      { path: OUTPUT_PATH, mode: 0o666, placeholder: true },
      { path: PROGRESS_PATH, mode: 0o666, placeholder: true },
    );
  const script = spec.script ?? '';
  if (staging === 'archive' && script !== '' && spec.entrypoint === undefined)
    entries.push({ path: ENTRYPOINT_PATH, mode: 0o755, data: script });
  const files = Object.entries(spec.files ?? {});
  const workdir = workdirOf(spec);
  if (files.length === 0 || workdir === undefined) return entries;
  // The runtime's own working directory is the task's to write in, whoever it runs as.
  if (workdir === DEFAULT_WORKDIR) entries.push({ path: `${DEFAULT_WORKDIR}/`, mode: 0o1777 });
  for (const [name, data] of files) entries.push({ path: posix.join(workdir, name), mode: 0o444, data });
  return entries;
}

/**
 * An uncompressed tar of `entries`, owned by root, for `putArchive` at `root`: `/`, or `/tork` on a
 * read-only root filesystem, where the engine writes only into volumes.
 */
export async function createArchive(entries: readonly ArchiveEntry[], root = '/'): Promise<Buffer> {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const outside = entries.find((entry) => !`${entry.path}/`.startsWith(prefix));
  if (outside !== undefined)
    throw new RuntimeError(
      'rejected',
      `${outside.path}: on a read-only root filesystem, files can only be written under ${root}`,
    );
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    archive.once('end', resolve);
    archive.once('error', reject);
  });
  const mtime = new Date();
  for (const entry of entries) {
    const name = entry.path === root || entry.path === prefix ? './' : entry.path.slice(prefix.length);
    const directory = name.endsWith('/');
    archive.entry(
      {
        name,
        mode: entry.mode,
        uid: 0,
        gid: 0,
        uname: 'root',
        gname: 'root',
        mtime: entry.placeholder === true ? PLACEHOLDER_MTIME : mtime,
        type: directory ? 'directory' : 'file',
      },
      directory ? undefined : Buffer.from(entry.data ?? '', 'utf8'),
    );
  }
  archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export interface ArchivedFile {
  /** At most the first `maxBytes` of the file. */
  readonly data: Buffer;
  /** The file's full size. */
  readonly size: number;
  readonly mtime: Date;
}

/** The first regular file of a tar stream (what `getArchive` returns for one path), cut at maxBytes. */
export function readFirstFile(
  stream: NodeJS.ReadableStream,
  maxBytes: number,
): Promise<ArchivedFile | undefined> {
  return new Promise((resolve, reject) => {
    const reader = extract();
    let found: ArchivedFile | undefined;
    reader.on('entry', (header, content, next) => {
      if (found !== undefined || header.type !== 'file') {
        content
          .on('end', () => {
            next();
          })
          .resume();
        return;
      }
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let size = 0;
      content.on('data', (chunk: Buffer) => {
        size += chunk.length;
        const room = maxBytes - keptBytes;
        if (room <= 0) return;
        const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
        kept.push(piece);
        keptBytes += piece.length;
      });
      content.on('end', () => {
        found = { data: Buffer.concat(kept), size, mtime: header.mtime ?? PLACEHOLDER_MTIME };
        next();
      });
    });
    reader.once('finish', () => {
      resolve(found);
    });
    reader.once('error', reject);
    stream.once('error', reject);
    stream.pipe(reader);
  });
}
