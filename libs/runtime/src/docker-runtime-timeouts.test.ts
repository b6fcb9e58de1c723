import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerRuntime } from './docker-runtime.js';

/**
 * An engine on a unix socket that answers what `answer` says and leaves every other request
 * hanging, as a stalled dockerd would.
 */
describe('DockerRuntime against an engine that stops answering', () => {
  let dir: string;
  let server: Server;
  const hanging: ServerResponse[] = [];
  let answer: (method: string, path: string) => object | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tork-engine-'));
    answer = () => undefined;
    server = createServer((request, response) => {
      const body = answer(
        request.method ?? '',
        (request.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0] ?? '',
      );
      if (body === undefined) {
        hanging.push(response);
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    server.listen(join(dir, 'docker.sock'));
    await once(server, 'listening');
  });

  afterEach(() => {
    for (const response of hanging.splice(0)) response.destroy();
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runtime = (): DockerRuntime =>
    new DockerRuntime({ socketPath: join(dir, 'docker.sock'), apiTimeoutMs: 300 });
  const spec = { name: 'stalled', image: 'tork/busybox:latest', script: 'true', env: {}, mounts: [] };

  it('fails a run whose container the engine never creates, saying which call went unanswered', async () => {
    answer = (method, path) =>
      method === 'GET' && path.startsWith('/images/') ? { Config: { User: '' } } : undefined;

    await expect(runtime().run(spec, new AbortController().signal)).rejects.toMatchObject({
      kind: 'runtime',
      message: 'docker engine: no answer to "create the container" within 300ms',
    });
  });

  it('fails volume calls and the health check the same way', async () => {
    await expect(runtime().createVolume('tork-stalled-0')).rejects.toThrow(
      'docker engine: no answer to "create a volume" within 300ms',
    );
    await expect(runtime().removeLeftovers({ 'tork.node': 'gone' })).rejects.toThrow(
      'no answer to "list containers" within 300ms',
    );
    await expect(runtime().healthCheck()).rejects.toMatchObject({
      kind: 'runtime',
      message: 'docker engine unreachable: docker engine: no answer to "ping" within 300ms',
    });
  });
});
