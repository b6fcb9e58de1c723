import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from './coalesce-writes.js';

describe('coalesceWrites', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const close of cleanup.splice(0)) close();
  });

  /** A client socket connected to a local server that records every chunk it receives. */
  async function pair(): Promise<{ client: Socket; received: Buffer[] }> {
    const received: Buffer[] = [];
    const server = createServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const client = connect({ port: address.port, host: '127.0.0.1', noDelay: true });
    await once(client, 'connect');
    cleanup.push(() => {
      client.destroy();
      server.close();
    });
    return { client, received };
  }

  it('holds the writes of one turn of the loop and sends them together, in order, once its I/O callbacks ran', async () => {
    const { client, received } = await pair();
    coalesceWrites(client);

    client.write('a');
    // Written from later callbacks of the same turn (a promise, a tick, another handler).
    await Promise.resolve();
    client.write('b');
    await new Promise((resolve) => {
      process.nextTick(resolve);
    });
    client.write('c');
    expect(client.writableCorked).toBe(1);
    expect(client.writableLength).toBe(3);
    await new Promise((resolve) => {
      setImmediate(resolve);
    });
    expect(client.writableCorked).toBe(0);
    expect(received.length).toBeLessThanOrEqual(1);

    client.write('d'); // a later turn corks again
    expect(client.writableCorked).toBe(1);
    await expect.poll(() => Buffer.concat(received).toString()).toBe('abcd');
  });

  it('calls each write callback once the data is written', async () => {
    const { client } = await pair();
    coalesceWrites(client);

    const written = await Promise.all(
      ['x', 'y'].map(
        (part) =>
          new Promise<string>((resolve) => {
            client.write(part, () => {
              resolve(part);
            });
          }),
      ),
    );
    expect(written).toEqual(['x', 'y']);
  });
});
