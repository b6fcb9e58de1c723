import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { OutputChunk } from '@tork/domain';

const TAIL_LINES = 20;
/** How much combined output is kept to cut the tail from; bounds memory for output without newlines. */
const TAIL_WINDOW_CHARS = 16_384;

/** The same marker as the Docker runtime's, so a capped result reads alike on either runtime. */
export const truncationMarker = (max: number): string => `\n[truncated: output exceeded ${max} bytes]`;

/** Decodes without flushing, so a multi-byte character cut by the cap is dropped rather than garbled. */
export function capText(bytes: Buffer, truncated: boolean, max: number): string {
  if (!truncated) return bytes.toString('utf8');
  return new StringDecoder('utf8').write(bytes.subarray(0, max)) + truncationMarker(max);
}

/** A process's output: every chunk to onOutput, stdout up to the cap, and a tail of both streams. */
export class ShellOutput {
  private readonly stdoutChunks: Buffer[] = [];
  private stdoutBytes = 0;
  private stdoutTruncated = false;
  private tailText = '';
  private closed = false;
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(
    private readonly maxBytes: number,
    private readonly onOutput: ((chunk: OutputChunk) => void) | undefined,
    private readonly log: (msg: string) => void,
  ) {}

  write(stream: OutputChunk['stream'], chunk: Buffer): void {
    if (this.closed) return;
    if (stream === 'stdout') this.keepStdout(chunk);
    this.emit(stream, this.decoders[stream].write(chunk));
  }

  /** Flushes partial characters and stops forwarding: output after run() settles reaches no one. */
  close(): void {
    if (this.closed) return;
    this.emit('stdout', this.decoders.stdout.end());
    this.emit('stderr', this.decoders.stderr.end());
    this.closed = true;
  }

  stdout(): string {
    return capText(Buffer.concat(this.stdoutChunks), this.stdoutTruncated, this.maxBytes);
  }

  tail(): string {
    return this.tailText.replace(/\n+$/, '').split('\n').slice(-TAIL_LINES).join('\n');
  }

  private keepStdout(chunk: Buffer): void {
    const room = this.maxBytes - this.stdoutBytes;
    if (chunk.length > room) this.stdoutTruncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.stdoutChunks.push(kept);
    this.stdoutBytes += kept.length;
  }

  private emit(stream: OutputChunk['stream'], text: string): void {
    if (text === '') return;
    this.tailText += text;
    if (this.tailText.length > TAIL_WINDOW_CHARS * 2) this.tailText = this.tailText.slice(-TAIL_WINDOW_CHARS);
    try {
      this.onOutput?.({ stream, text });
    } catch (error) {
      // A faulty listener must not break the run whose output it watches.
      this.log(`onOutput listener failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

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
