import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../api-client.js';
import { CliError } from '../exit-codes.js';
import { checkHealth } from './health.js';

describe('tork health', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
  });

  async function healthAgainst(status: number, body: unknown): Promise<{ code: number; text: string }> {
    server = createServer((_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    let out = '';
    const context = {
      client: new ApiClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
      stdout: { write: (text: string) => ((out += text), true) },
      stderr: { write: () => true },
      readStdin: () => '',
    };
    try {
      return { code: await checkHealth(context), text: out };
    } catch (error) {
      if (error instanceof CliError) return { code: error.exitCode, text: error.message };
      throw error;
    }
  }

  it('exits 0 when the API answers up, 1 when it answers down, naming what is down', async () => {
    expect(await healthAgainst(200, { status: 'UP', checks: { datastore: 'UP' } })).toEqual({
      code: 0,
      text: 'UP (datastore UP)\n',
    });
    const down = await healthAgainst(503, { status: 'DOWN', checks: { datastore: 'DOWN', broker: 'UP' } });
    expect(down.code).toBe(1);
    expect(down.text).toContain('is down: DOWN (datastore DOWN, broker UP)');
  });
});
