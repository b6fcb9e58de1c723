import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApi, type TestApi } from '../api.fixture.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/ui/assets/app-1a2b.js"></script></head><body><div id="root"></div></body></html>';
const ADMIN_KEY = 'configured-admin-key-0123456789';

let dir: string;
let api: TestApi | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tork-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log("app")');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

const get = (url: string, headers: Record<string, string> = {}) =>
  api?.app.inject({ method: 'GET', url, headers });

describe('the dashboard under /ui', () => {
  it('serves its page and assets without a credential, while its data calls still need one', async () => {
    api = await startTestApi({ uiDir: dir, auth: { staticKeys: [ADMIN_KEY] } });

    const page = await get('/ui/');
    expect(page?.statusCode).toBe(200);
    expect(page?.headers['content-type']).toMatch(/^text\/html/);
    expect(page?.body).toBe(INDEX);
    expect(page?.headers['cache-control']).toBe('no-cache');
    const script = await get('/ui/assets/app-1a2b.js');
    expect(script?.statusCode).toBe(200);
    expect(script?.headers['content-type']).toMatch(/javascript/);
    expect(script?.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    expect((await get('/jobs'))?.statusCode).toBe(401);
    expect((await get('/jobs', bearer(ADMIN_KEY)))?.statusCode).toBe(200);
  });

  it("answers the app's own routes with its page, a missing asset with 404", async () => {
    api = await startTestApi({ uiDir: dir });

    for (const url of ['/ui/jobs/abc', '/ui/submit', '/ui/jobs?state=RUNNING']) {
      const response = await get(url);
      expect(response?.statusCode, url).toBe(200);
      expect(response?.body, url).toBe(INDEX);
    }
    expect((await get('/ui/assets/gone-0000.js'))?.statusCode).toBe(404);
  });

  it('sends a strict CSP with the page: this origin only, no inline scripts, no framing', async () => {
    api = await startTestApi({ uiDir: dir });

    const csp = String((await get('/ui/'))?.headers['content-security-policy']);

    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
  });

  it('redirects / and /ui to /ui/', async () => {
    api = await startTestApi({ uiDir: dir, auth: { staticKeys: [ADMIN_KEY] } });

    for (const url of ['/', '/ui']) {
      const response = await get(url);
      expect(response?.statusCode, url).toBe(302);
      expect(response?.headers['location'], url).toBe('/ui/');
    }
  });

  it('is not there without its files', async () => {
    api = await startTestApi();

    expect((await get('/ui/'))?.statusCode).toBe(404);
    expect((await get('/'))?.statusCode).toBe(404);
  });
});
