import { StringDecoder } from 'node:string_decoder';
import type { Logger, OutputChunk } from '@tork/domain';
import { errorMessage } from '@tork/domain';

/** A run's output, for every runtime: Docker's attach stream and the shell's pipes alike. */
const TAIL_LINES = 20;
/** How much combined output is kept to cut the tail from; bounds memory for output without newlines. */
const TAIL_WINDOW_CHARS = 16_384;

/** Collects a run's output: every chunk to onOutput, stdout up to the cap, and a tail of both streams. */
export class OutputCollector {
  private readonly stdoutChunks: Buffer[] = [];
  private stdoutBytes = 0;
  private stdoutTruncated = false;
  private tailText = '';
  private closed = false;
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(
    private readonly maxBytes: number,
    private readonly onOutput: ((chunk: OutputChunk) => void) | undefined,
    private readonly logger: Logger,
  ) {}

  write(stream: OutputChunk['stream'], chunk: Buffer): void {
    if (this.closed) return;
    if (stream === 'stdout') this.keepStdout(chunk);
    this.emit(stream, this.decoders[stream].write(chunk));
  }

  end(): void {
    this.emit('stdout', this.decoders.stdout.end());
    this.emit('stderr', this.decoders.stderr.end());
  }

  /** Output that trails an abort or error must not reach the caller after run() has settled. */
  close(): void {
    this.closed = true;
  }

  stdout(): string {
    return capText(Buffer.concat(this.stdoutChunks), this.stdoutTruncated, this.maxBytes);
  }

  tail(): string {
    const lines = this.tailText.replace(/\n+$/, '').split('\n');
    return lines.slice(-TAIL_LINES).join('\n');
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
      this.logger.warn({ error: errorMessage(error) }, 'onOutput listener failed');
    }
  }
}

export const TRUNCATION_MARKER = (max: number): string => `\n[truncated: output exceeded ${max} bytes]`;

/** Decodes without flushing, so a multi-byte character cut by the cap is dropped rather than garbled. */
export function capText(bytes: Buffer, truncated: boolean, max: number): string {
  if (!truncated) return bytes.toString('utf8');
  return new StringDecoder('utf8').write(bytes.subarray(0, max)) + TRUNCATION_MARKER(max);
}
