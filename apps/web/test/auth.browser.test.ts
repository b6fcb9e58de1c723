import { describeWithService, startTork, type TorkProcess } from '@tork/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, openPage, screenshot } from './browser.fixture.js';

const KEY = 'dashboard-test-admin-key-0123456789';

describeWithService(
  'Chromium',
  chromiumAvailable,
  'bash .ci/run installs Debian chromium (or set TORK_CHROMIUM)',
)('the dashboard with an API key', () => {
  let tork: TorkProcess;
  let browser: Browser;

  beforeAll(async () => {
    [tork, browser] = await Promise.all([
      startTork(['-mode', 'standalone', '-runtime', 'noop', '-api-key', KEY]),
      launchChromium(),
    ]);
    const response = await fetch(`${tork.baseUrl}/jobs`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'behind a key',
        tasks: [{ name: 'noop', image: 'busybox', run: 'true' }],
      }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    });
    expect(response.status).toBe(200);
  });

  afterAll(async () => {
    await browser.close();
    expect(await tork.stop()).toBe(0);
  });

  it('asks for the key on a 401, sends it as a bearer token, and asks again when it is wrong', async () => {
    const { page, errors, close } = await openPage(browser, tork.baseUrl);
    try {
      await page.goto('/ui/');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      await page.getByLabel('API key').fill('not-the-key-at-all-0000');
      await page.getByRole('button', { name: 'Continue' }).click();
      await expect.poll(() => page.locator('.auth-prompt').textContent()).toContain('invalid credentials');

      await page.getByLabel('API key').fill(KEY);
      await page.keyboard.press('Enter');
      await page.getByRole('link', { name: 'behind a key' }).waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('tork.apiKey'))).toBe(KEY);

      // The key holds for the session: a reload goes straight to the data.
      await page.reload();
      await page.getByRole('link', { name: 'behind a key' }).waitFor();
      await screenshot(page, 'signed-in');
      // Chromium reports the 401s themselves; the app logs nothing.
      expect(errors(/status of 401/)).toEqual([]);
    } finally {
      await close();
    }
  });
});
