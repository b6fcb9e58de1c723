import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { json, SAMPLE_JSON, startTestApi, type TestApi } from './api.fixture.js';

let api: TestApi | undefined;

/** Two admin keys the API knows: a credential it does not know would be answered 401 first. */
const KEY_ONE = 'key-one-0123456789abcdef';
const KEY_TWO = 'key-two-0123456789abcdef';
const auth = { auth: { staticKeys: [KEY_ONE, KEY_TWO] } };

afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

function submit(test: TestApi, authorization?: string) {
  return test.app.inject({
    method: 'POST',
    url: '/jobs',
    payload: SAMPLE_JSON,
    headers: {
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
  });
}

describe('rate limit on submissions', () => {
  it('answers some of 60 submissions at once from one key with 429, a JSON error and Retry-After', async () => {
    api = await startTestApi(auth);
    const test = api;

    const responses = await Promise.all(Array.from({ length: 60 }, () => submit(test, `Bearer ${KEY_ONE}`)));

    const limited = responses.filter((response) => response.statusCode === 429);
    const accepted = responses.filter((response) => response.statusCode === 200);
    expect(limited.length).toBeGreaterThan(0);
    // The first 50 of the burst go through (more, should the burst straddle two windows).
    expect(accepted.length).toBeGreaterThanOrEqual(50);
    expect(accepted.length + limited.length).toBe(60);
    expect(json(limited[0]!.body)).toEqual({
      error: expect.stringMatching(/^too many job submissions: at most 50 per second; retry in/) as unknown,
    });
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThan(0);
    // A refused submission stored nothing.
    expect((await test.datastore.jobs.list({ page: 1, size: 1 })).totalItems).toBe(accepted.length);
  });

  it('counts each credential apart, and /job and /jobs together', async () => {
    api = await startTestApi({ ...auth, rateLimit: 5 });
    const test = api;
    const first = await Promise.all(Array.from({ length: 5 }, () => submit(test, `Bearer ${KEY_ONE}`)));
    const second = await Promise.all(Array.from({ length: 5 }, () => submit(test, `Bearer ${KEY_TWO}`)));
    expect([...first, ...second].map((response) => response.statusCode)).toEqual(Array(10).fill(200));

    const viaSingular = await test.app.inject({
      method: 'POST',
      url: '/job',
      payload: SAMPLE_JSON,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY_ONE}` },
    });
    expect(viaSingular.statusCode).toBe(429);
  });

  it('limits clients without credentials by address', async () => {
    api = await startTestApi({ rateLimit: 3 });
    const test = api;
    const statuses = (await Promise.all(Array.from({ length: 5 }, () => submit(test)))).map(
      (r) => r.statusCode,
    );
    expect(statuses.filter((status) => status === 429)).toHaveLength(2);
  });

  it('leaves reads alone: clients poll them', async () => {
    api = await startTestApi({ rateLimit: 2 });
    const test = api;
    const reads = await Promise.all(
      Array.from({ length: 30 }, () => test.app.inject({ method: 'GET', url: '/jobs' })),
    );
    expect(reads.every((response) => response.statusCode === 200)).toBe(true);
  });

  it('-rate-limit 0 turns it off', async () => {
    api = await startTestApi({ ...auth, rateLimit: 0 });
    const test = api;
    const responses = await Promise.all(Array.from({ length: 80 }, () => submit(test, `Bearer ${KEY_ONE}`)));
    expect(responses.every((response) => response.statusCode === 200)).toBe(true);
  });
});

describe('request timeout', () => {
  /** Sends `head`, then `body` one byte at a time every `everyMs`; resolves with what the server answered. */
  async function trickle(port: number, head: string, body: string, everyMs: number): Promise<string> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const closed = once(socket, 'close');
    socket.write(head);
    for (const byte of body) {
      if (socket.destroyed || answer !== '') break;
      socket.write(byte);
      await sleep(everyMs);
    }
    await Promise.race([closed, sleep(10_000)]);
    socket.destroy();
    return answer;
  }

  it('answers 408 to a client that sends its headers, then the body one byte at a time', async () => {
    api = await startTestApi({ requestTimeoutMs: 1000 });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as AddressInfo;
    const body = SAMPLE_JSON.padEnd(200, ' ');

    const answer = await trickle(
      port,
      `POST /jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      200,
    );

    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect((await api.datastore.jobs.list({ page: 1, size: 1 })).totalItems).toBe(0);
  });

  it('does not cut an answer that takes longer than the timeout', async () => {
    api = await startTestApi({ requestTimeoutMs: 500 });
    api.app.get('/slow-answer', async () => {
      await sleep(1500);
      return { done: true };
    });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as AddressInfo;

    const response = await fetch(`http://127.0.0.1:${port}/slow-answer`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
  });
});

describe('CORS', () => {
  const preflight = (test: TestApi, origin: string) =>
    test.app.inject({
      method: 'OPTIONS',
      url: '/jobs',
      headers: { origin, 'access-control-request-method': 'POST' },
    });

  it('is off by default: no browser origin is allowed', async () => {
    api = await startTestApi();
    const read = await api.app.inject({
      method: 'GET',
      url: '/jobs',
      headers: { origin: 'https://evil.example' },
    });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    expect(
      (await preflight(api, 'https://evil.example')).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });

  it('allows exactly the origins given', async () => {
    api = await startTestApi({ corsOrigins: ['https://ui.example.com'] });
    const allowed = await preflight(api, 'https://ui.example.com');
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    expect(allowed.headers['access-control-allow-methods']).toContain('PUT');
    expect(
      (await preflight(api, 'https://evil.example')).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });
});

describe('security headers on the docs', () => {
  it('serves /docs with a CSP Swagger UI works under, and every asset it names', async () => {
    api = await startTestApi();
    const page = await api.app.inject({ method: 'GET', url: '/docs/' });

    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
    // Would send a plain-HTTP deployment's asset requests to https.
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    // No inline script, which the CSP would block: everything comes from 'self'.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const assets = [...page.body.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toContain('static/swagger-initializer.js');
    for (const asset of assets) {
      const response = await api.app.inject({ method: 'GET', url: `/docs/${asset}` });
      expect(response.statusCode, asset).toBe(200);
    }
    // The document Swagger UI loads (swagger-initializer.js: `resolveUrl('./json')`), from 'self' as the CSP allows.
    const initializer = await api.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain("resolveUrl('./json')");
    const spec = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    expect(json(spec.body)['openapi']).toBe('3.1.0');
  });

  it('leaves JSON answers as they were', async () => {
    api = await startTestApi();
    const response = await api.app.inject({ method: 'GET', url: '/jobs' });
    expect(response.headers['content-security-policy']).toBeUndefined();
  });
});
