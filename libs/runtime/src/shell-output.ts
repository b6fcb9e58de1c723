import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { capText } from './output-collector.js';

/**
 * The file's text capped at `max` bytes (with the marker), or undefined when the task did not write
 * it. The task owns the directory: a symlink (to a file only the engine may read) or a FIFO (which
 * would block) is not its result, so only a regular file is read.
 */
export async function readCapped(path: string, max: number): Promise<string | undefined> {
  const file = await openRegular(path);
  if (file === undefined) return undefined;
  try {
    // One byte past the cap tells a file of exactly `max` bytes from a longer one.
    const buffer = Buffer.alloc(max + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return capText(buffer.subarray(0, filled), filled > max, max);
  } finally {
    await file.close();
  }
}

/** Opens a regular file without following a symlink; undefined when absent or anything else. */
export async function openRegular(path: string): Promise<FileHandle | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ELOOP')) return undefined;
    throw error;
  }
  if ((await file.stat()).isFile()) return file;
  await file.close();
  return undefined;
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
