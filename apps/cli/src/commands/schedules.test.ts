import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../api-client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../exit-codes.js';
import { parseInvocation } from '../program.js';
import { runInvocation } from '../run.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly contentType?: string;
  readonly authorization?: string;
  readonly body: string;
}

const SCHEDULE = {
  id: 's1',
  name: 'nightly',
  state: 'ACTIVE',
  cron: '0 2 * * *',
  schedule: { cron: '0 2 * * *', timezone: 'Europe/Paris' },
  nextRunAt: ['2026-01-02T01:00:00.000Z'],
};

/** A stand-in for the API's /scheduled-jobs routes (Tork's shape), recording what it is sent. */
describe('tork schedules against a fake API', () => {
  const seen: Seen[] = [];
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      void readBody(request).then((body) => {
        seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          ...(request.headers['content-type'] === undefined
            ? {}
            : { contentType: request.headers['content-type'] }),
          ...(request.headers.authorization === undefined
            ? {}
            : { authorization: request.headers.authorization }),
          body,
        });
        const json = (status: number, value: unknown): void => {
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        };
        if (request.headers.authorization !== 'Bearer key-1234567890abcdef')
          json(401, { error: 'unauthenticated' });
        else if (request.method === 'GET' && request.url?.startsWith('/scheduled-jobs?') === true)
          json(200, { items: [SCHEDULE], number: 1, size: 100, totalPages: 1, totalItems: 1 });
        else if (request.method === 'POST' && request.url === '/scheduled-jobs') {
          if (body.includes('cron')) json(200, SCHEDULE);
          else json(400, { error: 'invalid', problems: [{ path: 'schedule', message: 'required' }] });
        } else if (
          request.method === 'PUT' &&
          /^\/scheduled-jobs\/s1\/(pause|resume)$/.test(request.url ?? '')
        )
          json(200, { status: 'OK' });
        else if (request.method === 'DELETE' && request.url === '/scheduled-jobs/s1')
          json(200, { status: 'OK' });
        else json(404, { error: 'scheduled job not found' });
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.close();
  });

  async function tork(
    argv: string[],
    stdin = '',
    apiKey = 'key-1234567890abcdef',
  ): Promise<{ code: number; out: string; problems: string[] }> {
    let out = '';
    const context: CommandContext = {
      client: new ApiClient({ endpoint, apiKey }),
      stdout: { write: (text: string) => ((out += text), true) },
      stderr: { write: () => true },
      readStdin: () => stdin,
    };
    try {
      const code = await runInvocation(
        await parseInvocation(argv, { writeOut: () => undefined, writeErr: () => undefined }),
        context,
      );
      return { code, out, problems: [] };
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      return {
        code: error.exitCode,
        out: error.message,
        problems: error.problems.map((p) => `${p.path}: ${p.message}`),
      };
    }
  }

  it('lists scheduled jobs as a table or as the API body, with the key as a bearer token', async () => {
    const table = await tork(['schedules', 'list']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/ID\s+NAME\s+STATE\s+CRON\s+TIMEZONE\s+NEXT RUN/);
    expect(table.out).toMatch(
      /s1\s+nightly\s+ACTIVE\s+0 2 \* \* \*\s+Europe\/Paris\s+2026-01-02T01:00:00.000Z/,
    );
    const json = await tork(['schedules', 'list', '-o', 'json']);
    expect(JSON.parse(json.out)).toMatchObject({ items: [SCHEDULE], totalItems: 1 });
    expect(seen.at(-1)).toMatchObject({
      method: 'GET',
      url: '/scheduled-jobs?page=1&size=100',
      authorization: 'Bearer key-1234567890abcdef',
    });
  });

  it('creates one from YAML on standard input, sent as text/yaml; prints its id', async () => {
    const spec =
      'name: nightly\nschedule:\n  cron: 0 2 * * *\ntasks:\n  - image: busybox\n    run: echo hi\n';
    const created = await tork(['schedules', 'create', '-'], spec);
    expect(created).toMatchObject({ code: 0, out: 's1\n' });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/scheduled-jobs',
      contentType: 'text/yaml',
      body: spec,
    });
    const refused = await tork(['schedules', 'create', '-'], '{"name": "x"}');
    expect(refused).toMatchObject({ code: 2, problems: ['schedule: required'] });
    expect(seen.at(-1)?.contentType).toBe('application/json');
  });

  it('pauses, resumes and deletes; an unknown id exits 2, a refused key 4', async () => {
    expect(await tork(['schedules', 'pause', 's1'])).toMatchObject({
      code: 0,
      out: 'scheduled job s1 paused\n',
    });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', url: '/scheduled-jobs/s1/pause' });
    expect(await tork(['schedules', 'resume', 's1'])).toMatchObject({
      code: 0,
      out: 'scheduled job s1 resumed\n',
    });
    expect(await tork(['schedules', 'delete', 's1'])).toMatchObject({
      code: 0,
      out: 'scheduled job s1 deleted\n',
    });
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/scheduled-jobs/s1' });
    expect(await tork(['schedules', 'pause', 'nope'])).toMatchObject({
      code: 2,
      out: 'HTTP 404: scheduled job not found',
    });
    expect(await tork(['schedules', 'list'], '', 'wrong')).toMatchObject({
      code: 4,
      out: 'HTTP 401: unauthenticated',
    });
  });
});

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      resolve(body);
    });
  });
}
