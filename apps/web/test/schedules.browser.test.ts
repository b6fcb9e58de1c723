import { existsSync } from 'node:fs';
import { describeWithService, startTork, type TorkProcess } from '@tork/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, openPage, screenshot, WEB_DIST } from './browser.fixture.js';

if (!existsSync(WEB_DIST)) throw new Error(`no dashboard build at ${WEB_DIST}: run nx run web:build first`);

const EVERY_MINUTE = `name: every minute
schedule:
  cron: "0 * * * * *"
  timezone: Europe/Paris
tasks:
  - name: tick
    image: busybox
    run: echo tick
`;

describeWithService(
  'Chromium',
  chromiumAvailable,
  'bash .ci/run installs Debian chromium (or set TORK_CHROMIUM)',
)('the Schedules page against a standalone engine', () => {
  let tork: TorkProcess;
  let browser: Browser;

  beforeAll(async () => {
    [tork, browser] = await Promise.all([
      startTork(['-mode', 'standalone', '-runtime', 'noop']),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser.close();
    expect(await tork.stop()).toBe(0);
  });

  async function created(): Promise<string> {
    const response = await fetch(`${tork.baseUrl}/scheduled-jobs`, {
      method: 'POST',
      body: EVERY_MINUTE,
      headers: { 'content-type': 'text/yaml' },
    });
    const answer = (await response.json()) as { id?: string };
    expect(response.status, JSON.stringify(answer)).toBe(200);
    return String(answer.id);
  }

  async function stateOf(id: string): Promise<number | string> {
    const response = await fetch(`${tork.baseUrl}/scheduled-jobs/${id}`);
    return response.status === 200 ? ((await response.json()) as { state: string }).state : response.status;
  }

  it('shows a schedule as the API returns it, and pauses, resumes and deletes it', async () => {
    const id = await created();
    const { page, errors, close } = await openPage(browser, tork.baseUrl);
    try {
      await page.goto('/ui/schedules');
      const row = page.locator('tr', { hasText: 'every minute' });
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      expect(cells.slice(0, 4)).toEqual(['every minute', '0 * * * * *', 'Europe/Paris', 'ACTIVE']);
      // The next runs are on whole minutes, shown in the browser's local time.
      expect(cells[4]).toMatch(/\d:\d{2}:00/);
      await screenshot(page, 'schedules');

      await row.getByRole('button', { name: 'Pause' }).click();
      await expect.poll(() => row.locator('.state-badge').textContent()).toBe('PAUSED');
      expect(await stateOf(id)).toBe('PAUSED');
      expect(await row.locator('td').nth(4).textContent()).toBe('–');

      await row.getByRole('button', { name: 'Resume' }).click();
      await expect.poll(() => row.locator('.state-badge').textContent()).toBe('ACTIVE');
      expect(await stateOf(id)).toBe('ACTIVE');

      await row.getByRole('button', { name: 'Delete' }).click();
      await page.getByText('No schedules.').waitFor();
      expect(await stateOf(id)).toBe(404);
      expect(errors()).toEqual([]);
    } finally {
      await close();
    }
  });
});
