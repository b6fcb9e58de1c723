import { once } from 'node:events';
import { startTork, waitForJob, type TorkProcess } from '@tork/testing';
import { afterEach, describe, expect, it } from 'vitest';

const KEY = 'e2e-admin-key-0123456789abcdef';
// The noop runtime completes every task at once: these tests need no Docker engine.
const STANDALONE = ['-mode', 'standalone', '-runtime', 'noop'];
const HELLO = JSON.stringify({ name: 'hello', tasks: [{ image: 'busybox', run: 'echo hello' }] });

const started: TorkProcess[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((tork) => tork.stop()));
});

async function start(...args: Parameters<typeof startTork>): Promise<TorkProcess> {
  const tork = await startTork(...args);
  started.push(tork);
  return tork;
}

function submit(tork: TorkProcess, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${tork.baseUrl}/jobs`, {
    method: 'POST',
    body: HELLO,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('binding a public address', () => {
  it('refuses to start on 0.0.0.0 with no credential: exit code 1 and a message naming the fixes', async () => {
    const tork = await start(STANDALONE, { host: '0.0.0.0', waitForHealth: false });
    const [code] = (await once(tork.child, 'exit')) as [number | null];

    expect(code).toBe(1);
    const output = tork.output();
    expect(output).toContain('refusing to serve the REST API on 0.0.0.0 with no credential');
    for (const fix of ['TORK_API_KEYS_FILE', '-api-key', '-insecure']) expect(output).toContain(fix);
  });

  it('starts on 0.0.0.0 with -insecure, warning that anyone is an admin', async () => {
    const tork = await start([...STANDALONE, '-insecure'], { host: '0.0.0.0' });

    expect(tork.output()).toContain('anyone who reaches it is an admin');
    expect((await submit(tork)).status).toBe(200);
  });

  it('starts on 0.0.0.0 with a key from TORK_API_KEYS: 401 without it, jobs run with it, probes stay open', async () => {
    const tork = await start(STANDALONE, { host: '0.0.0.0', env: { TORK_API_KEYS: KEY } });
    const auth = { authorization: `Bearer ${KEY}` };

    const refused = await submit(tork);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="tork", Basic realm="tork"');
    expect((await fetch(`${tork.baseUrl}/health/live`)).status).toBe(200);
    expect(tork.output()).not.toContain(KEY);

    const accepted = await submit(tork, auth);
    expect(accepted.status).toBe(200);
    const { id } = (await accepted.json()) as { id: string };
    const job = await waitForJob(tork.baseUrl, id, undefined, undefined, auth);
    expect(job.state).toBe('COMPLETED');
    expect((await fetch(`${tork.baseUrl}/jobs/${id}`)).status).toBe(401);
  });
});
