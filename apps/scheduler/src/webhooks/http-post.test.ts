import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, type Resolve } from './http-post.js';

/** A name server of our own: names → addresses, as dns.lookup with `all: true` answers. */
const NAMES: Readonly<Record<string, LookupAddress[]>> = {
  'receiver.test': [{ address: '127.0.0.1', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  'mapped.test': [{ address: '::ffff:169.254.169.254', family: 6 }],
  // One good address does not make the name safe: a retry may connect to the other.
  'mixed.test': [
    { address: '127.0.0.1', family: 4 },
    { address: 'fe80::1', family: 6 },
  ],
};
const resolve: Resolve = (hostname, _family, callback) => {
  const addresses = NAMES[hostname];
  if (addresses === undefined)
    callback(Object.assign(new Error(`${hostname} not found`), { code: 'ENOTFOUND' }), []);
  else callback(null, addresses);
};

describe('postWebhook checks the address a name resolves to, when connecting', () => {
  let server: Server;
  let port = 0;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      received.push(`${request.method ?? ''} ${request.headers.host ?? ''}`);
      request.resume();
      response.writeHead(204).end();
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });

  afterAll(() => {
    server.close();
  });

  const post = (host: string) =>
    postWebhook(`http://${host}:${String(port)}/hook`, {}, '{}', {
      timeoutMs: 2_000,
      allowLinkLocal: false,
      resolve,
    });

  it('sends to a name that resolves to an allowed address', async () => {
    received.length = 0;
    expect(await post('receiver.test')).toEqual({ status: 204 });
    expect(received).toEqual([`POST receiver.test:${String(port)}`]);
  });

  it.each([
    ['metadata.test', 'refused: 169.254.169.254 is a cloud metadata address'],
    ['mapped.test', 'refused: ::ffff:169.254.169.254 is a cloud metadata address'],
    ['mixed.test', 'refused: fe80::1 is link-local'],
  ])('refuses %s for good, without sending', async (host, error) => {
    received.length = 0;
    expect(await post(host)).toEqual({ error, permanent: true });
    expect(received).toEqual([]);
  });

  it('reports a name that does not resolve as a retryable error', async () => {
    const result = await post('nowhere.test');
    expect(result).toMatchObject({ error: expect.stringContaining('nowhere.test') as unknown });
    expect(result).not.toHaveProperty('permanent');
  });
});
