import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's chromium (`.ci/run` installs it); no browser is downloaded. */
export const CHROMIUM = process.env['TORK_CHROMIUM'] ?? '/usr/bin/chromium';

export const chromiumAvailable = existsSync(CHROMIUM);

export const WEB_DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url));

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../../docs/images/dashboard-job.png', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** A page that records what the console and uncaught errors say, to assert none happened. */
export interface WatchedPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions so far, but for those `expected` lets through. */
  readonly errors: (expected?: RegExp) => string[];
  readonly close: () => Promise<void>;
}

export async function openPage(browser: Browser, baseUrl: string): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return {
    page,
    errors: (expected) => errors.filter((error) => expected === undefined || !expected.test(error)),
    close: () => context.close(),
  };
}

/** Saves a screenshot under test/screenshots (git-ignored); the job page's also for the README on request. */
export async function screenshot(
  page: Page,
  name: string,
  options: { readme?: boolean } = {},
): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  if (options.readme === true && process.env['TORK_UPDATE_DOCS_SCREENSHOT'] === '1')
    await page.screenshot({ path: DOCS_SCREENSHOT });
}

/** Submits a job through the API (as a client would), answering its id. */
export async function submitJob(baseUrl: string, body: string, contentType = 'text/yaml'): Promise<string> {
  const response = await fetch(`${baseUrl}/jobs`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
  const answer = (await response.json()) as { id?: string; error?: string };
  expect(response.status, JSON.stringify(answer)).toBe(200);
  return String(answer.id);
}
