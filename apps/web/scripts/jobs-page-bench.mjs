#!/usr/bin/env node
// First load of the dashboard's jobs page against a standalone engine holding 1,000 jobs:
// starts `tork -mode standalone -runtime noop`, seeds the jobs through the API, then opens
// /ui/ in Debian's chromium three times (a new browser context each: no cache) and prints the
// median time from navigation to the first page of jobs drawn.
//
//   npx nx run web:bench            (builds tork and the dashboard first)
//   JOBS=1000 RUNS=3 node apps/web/scripts/jobs-page-bench.mjs
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const JOBS = Number(process.env.JOBS ?? 1000);
const RUNS = Number(process.env.RUNS ?? 3);
const CHROMIUM = process.env.TORK_CHROMIUM ?? '/usr/bin/chromium';
const TORK = fileURLToPath(new URL('../../tork/dist/main.js', import.meta.url));

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const tork = spawn(
  process.execPath,
  [
    TORK,
    '-mode',
    'standalone',
    '-runtime',
    'noop',
    '-rate-limit',
    '0',
    '-port',
    String(port),
    '-log-level',
    'warn',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
try {
  await waitForHealth();
  await seed();
  const times = [];
  const parts = [];
  const baselines = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
  try {
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${base}/ui/`);
      await page.locator('table.jobs tbody tr').first().waitFor();
      times.push(performance.now() - started);
      parts.push(
        await page.evaluate(() => {
          const navigation = performance.getEntriesByType('navigation')[0];
          const jobs = performance
            .getEntriesByType('resource')
            .find((entry) => entry.name.includes('/jobs?'));
          return {
            dom: navigation?.domContentLoadedEventEnd ?? 0,
            api: jobs === undefined ? 0 : jobs.responseEnd - jobs.startTime,
          };
        }),
      );
      // The same browser loading the smallest page the API has: what the machine alone costs now.
      const baselineStart = performance.now();
      await page.goto(`${base}/health`);
      baselines.push(performance.now() - baselineStart);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(
    `jobs page, first load with ${JOBS} jobs: median ${median.toFixed(0)} ms of ${RUNS} (${times.map((t) => t.toFixed(0)).join(', ')} ms)`,
  );
  // Where the time went: the page and its script loaded (DOMContentLoaded), and the API's GET /jobs.
  console.log(
    `  DOMContentLoaded ${parts.map((part) => part.dom.toFixed(0)).join(', ')} ms; GET /jobs ${parts.map((part) => part.api.toFixed(0)).join(', ')} ms; baseline (GET /health in the same tab) ${baselines.map((t) => t.toFixed(0)).join(', ')} ms`,
  );
} finally {
  tork.kill('SIGTERM');
  await once(tork, 'exit');
}

async function seed() {
  const body = (index) =>
    JSON.stringify({
      name: `seeded job ${index}`,
      tags: [index % 2 === 0 ? 'even' : 'odd'],
      tasks: [{ name: 'noop', image: 'busybox', run: 'true' }],
    });
  let next = 0;
  const worker = async () => {
    while (next < JOBS) {
      const index = next++;
      const response = await fetch(`${base}/jobs`, {
        method: 'POST',
        body: body(index),
        headers: { 'content-type': 'application/json' },
      });
      if (response.status !== 200)
        throw new Error(`seeding answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  // Wait for them to run, so that the page reads a settled store.
  for (;;) {
    const response = await fetch(`${base}/jobs?state=COMPLETED&size=1`);
    const page = await response.json();
    if (page.totalItems >= JOBS) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitForHealth() {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('tork did not become healthy');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port: chosen } = server.address();
      server.close(() => resolve(chosen));
    });
    server.on('error', reject);
  });
}
