/**
 * The few tar operations the Docker runtime needs: build a small archive for `putArchive` and read
 * one file out of a `getArchive` stream. Written here to avoid a dependency for ~100 lines.
 */

const BLOCK = 512;

export interface TarEntry {
  /** Path inside the archive; directories end with `/`. */
  readonly name: string;
  readonly type: 'file' | 'directory';
  readonly mode: number;
  readonly data?: Buffer;
}

/** Builds an uncompressed ustar archive holding `entries`, owned by root. */
export function createTar(entries: readonly TarEntry[]): Buffer {
  const mtime = Math.floor(Date.now() / 1000);
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(entry, data.length, mtime));
    if (data.length > 0) {
      parts.push(data, Buffer.alloc(padding(data.length)));
    }
  }
  // Two zero blocks mark the end of the archive.
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(entry: TarEntry, size: number, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length > 100) throw new RangeError(`tar entry name too long: ${entry.name}`);
  name.copy(block, 0);
  writeOctal(block, 100, 8, entry.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtime);
  block.write(entry.type === 'directory' ? '5' : '0', 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  writeOctal(block, 148, 7, checksum(block));
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new RangeError(`tar field overflow: ${value}`);
  block.write(text, offset, 'ascii');
  block[offset + length - 1] = 0;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (const byte of block) sum += byte;
  return sum;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

export interface TarFile {
  /** The file's first bytes, at most the `maxBytes` asked for. */
  readonly data: Buffer;
  /** The file's full size as recorded in the archive. */
  readonly size: number;
}

/**
 * Reads the first entry of a tar stream, skipping metadata entries (PAX, GNU long names).
 * Returns undefined when the archive is empty or its first entry is not a regular file.
 * Reads at most `maxBytes` of the file's content, then stops consuming the stream.
 */
export async function readFirstFile(
  stream: AsyncIterable<unknown>,
  maxBytes: number,
): Promise<TarFile | undefined> {
  const reader = new ByteReader(stream);
  try {
    let paxSize: number | undefined;
    for (;;) {
      const block = await reader.read(BLOCK);
      if (block === undefined || block.every((byte) => byte === 0)) return undefined;
      const recorded = parseNumber(block.subarray(148, 156));
      block.fill(0x20, 148, 156);
      if (recorded !== checksum(block)) throw new Error('tar: header checksum mismatch');
      const type = String.fromCharCode(block[156] ?? 0);
      const size = paxSize ?? parseNumber(block.subarray(124, 136));
      paxSize = undefined;
      const padded = size + padding(size);
      switch (type) {
        case 'x': {
          const body = await reader.read(padded);
          if (body === undefined) throw new Error('tar: truncated PAX header');
          paxSize = parsePaxSize(body.subarray(0, size));
          continue;
        }
        case 'g':
        case 'L':
        case 'K':
          if (!(await reader.skip(padded))) throw new Error('tar: truncated archive');
          continue;
        case '0':
        case '\u0000':
        case '7': {
          const data = await reader.read(Math.min(size, maxBytes));
          if (data === undefined) throw new Error('tar: truncated file content');
          return { data, size };
        }
        default:
          return undefined;
      }
    }
  } finally {
    await reader.close();
  }
}

/** Numeric header fields are octal text, or base-256 when the high bit of the first byte is set. */
function parseNumber(field: Buffer): number {
  const first = field[0] ?? 0;
  if ((first & 0x80) !== 0) {
    let value = first & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** PAX records are `<length> <key>=<value>\n`; only `size` matters for reading content. */
function parsePaxSize(body: Buffer): number | undefined {
  for (const record of body.toString('utf8').split('\n')) {
    const match = /^\d+ size=(\d+)$/.exec(record);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

/** Exact-length reads over an async stream of chunks. */
class ByteReader {
  private readonly iterator: AsyncIterator<unknown>;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(stream: AsyncIterable<unknown>) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  async read(length: number): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [this.buffered];
    let have = this.buffered.length;
    while (have < length) {
      const next = await this.iterator.next();
      if (next.done === true) return undefined;
      const chunk = toBuffer(next.value);
      chunks.push(chunk);
      have += chunk.length;
    }
    const all = Buffer.concat(chunks);
    this.buffered = all.subarray(length);
    return all.subarray(0, length);
  }

  async skip(length: number): Promise<boolean> {
    let remaining = length;
    while (remaining > 0) {
      if (this.buffered.length === 0) {
        const next = await this.iterator.next();
        if (next.done === true) return false;
        this.buffered = toBuffer(next.value);
      }
      const taken = Math.min(remaining, this.buffered.length);
      this.buffered = this.buffered.subarray(taken);
      remaining -= taken;
    }
    return true;
  }

  /** Ends the iteration early, which destroys the underlying stream. */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  throw new TypeError('tar: stream produced a non-binary chunk');
}
