import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeWithService,
  dockerAvailable,
  startTork,
  torkExamplesDir,
  torkExamplesLocation,
  waitForJob,
  type TorkProcess,
} from '@tork/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchChromium,
  openPage,
  screenshot,
  submitJob,
  WEB_DIST,
  type WatchedPage,
} from './browser.fixture.js';

const OWN_EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const TORK_EXAMPLES = torkExamplesDir();

/** A job drawn by the graph test: its file, and a first task whose log it opens. */
interface GraphExample {
  readonly file: string;
  readonly firstTask: string;
  readonly firstLog: string;
}

// Tork's `parallel` and `each` examples when they are beside the clone; else the project's own, so
// the graph is drawn either way.
const GRAPH_SOURCE = TORK_EXAMPLES !== undefined ? "Tork's" : "the project's";
const GRAPH_EXAMPLES: Readonly<Record<'parallel' | 'each', GraphExample>> =
  TORK_EXAMPLES !== undefined
    ? {
        parallel: {
          file: join(TORK_EXAMPLES, 'parallel.yaml'),
          firstTask: 'hello task',
          firstLog: 'start of job',
        },
        each: { file: join(TORK_EXAMPLES, 'each.yaml'), firstTask: 'hello task', firstLog: 'start of job' },
      }
    : {
        parallel: {
          file: join(OWN_EXAMPLES, 'parallel.yaml'),
          firstTask: 'fetch sources',
          firstLog: 'fetching the sources',
        },
        each: { file: join(OWN_EXAMPLES, 'each.yaml'), firstTask: 'prepare', firstLog: 'squaring 1 to 5' },
      };
if (TORK_EXAMPLES === undefined)
  console.warn(
    `the graph tests draw examples/parallel.yaml and examples/each.yaml: Tork's example jobs not found at ${torkExamplesLocation()}`,
  );
const docker = await dockerAvailable();

if (!existsSync(WEB_DIST)) throw new Error(`no dashboard build at ${WEB_DIST}: run nx run web:build first`);

describeWithService(
  'Chromium',
  chromiumAvailable,
  'bash .ci/run installs Debian chromium (or set TORK_CHROMIUM)',
)('the dashboard in a browser', () => {
  describeWithService(
    'Docker engine',
    docker,
    'bash .ci/run starts one',
  )('against a standalone engine', () => {
    let tork: TorkProcess;
    let browser: Browser;
    let tab: WatchedPage | undefined;

    beforeAll(async () => {
      [tork, browser] = await Promise.all([startTork(['-mode', 'standalone']), launchChromium()]);
    });

    afterAll(async () => {
      await tab?.close();
      await browser.close();
      expect(await tork.stop()).toBe(0);
    });

    async function open(path: string): Promise<WatchedPage> {
      await tab?.close();
      tab = await openPage(browser, tork.baseUrl);
      await tab.page.goto(`/ui${path}`);
      return tab;
    }

    it('submits the hello job from the editor and shows it reach COMPLETED with its result', async () => {
      const { page, errors } = await open('/submit');
      const editor = page.getByLabel('Job definition');
      await editor.fill(
        'name: hello from the editor\ntasks:\n  - name: say hello\n    image: ubuntu:mantic\n    run: echo -n hello world\n',
      );
      await page.getByRole('button', { name: 'Submit' }).click();

      await page.waitForURL(/\/ui\/jobs\/[0-9a-f]{32}$/);
      await expect
        .poll(() => page.locator('.job-head .state-badge').textContent(), { timeout: 30_000 })
        .toBe('COMPLETED');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('hello from the editor');
      expect(await page.locator('.job-result').textContent()).toBe('hello world');
      expect(await page.locator('.node-button[data-task-name="say hello"]').getAttribute('data-state')).toBe(
        'COMPLETED',
      );
      await screenshot(page, 'hello-completed');

      // Run again: the same definition as a new job, which runs to the same result.
      const first = page.url();
      await page.getByRole('button', { name: 'Run again' }).click();
      await page.waitForURL((url) => url.href !== first && /\/ui\/jobs\/[0-9a-f]{32}$/.test(url.href));
      await expect
        .poll(() => page.locator('.job-head .state-badge').textContent(), { timeout: 30_000 })
        .toBe('COMPLETED');
      expect(await page.locator('.job-result').textContent()).toBe('hello world');
      expect(errors()).toEqual([]);
    });

    it("opens a running job's task and shows its log lines as they arrive", async () => {
      const id = await submitJob(
        tork.baseUrl,
        [
          'name: counting',
          'tasks:',
          '  - name: count',
          '    image: ubuntu:mantic',
          "    run: for i in 1 2 3 4 5 6; do printf '\\033[32mline %s\\033[0m\\n' $i; sleep 1; done",
        ].join('\n'),
      );
      await waitForJob(tork.baseUrl, id, ['RUNNING']);
      const { page, errors } = await open(`/jobs/${id}`);
      await page.locator('.node-button[data-task-name="count"]').click();
      const log = page.getByRole('log', { name: 'Task log' });

      await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain('line 1');
      // The task is still running while lines keep coming: the log follows it live.
      expect(await page.locator('.task-detail .state-badge').first().textContent()).toBe('RUNNING');
      await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain('line 4');
      expect(await log.locator('.ansi-fg-2').first().textContent()).toMatch(/^line \d$/);
      await expect
        .poll(() => page.locator('.log-status').textContent(), { timeout: 20_000 })
        .toContain('complete');
      expect(await log.textContent()).toBe('line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n');
      await screenshot(page, 'running-log');
      expect(errors()).toEqual([]);
    });

    it('cancels a long job', async () => {
      const id = await submitJob(
        tork.baseUrl,
        'name: long sleep\ntasks:\n  - name: sleep\n    image: ubuntu:mantic\n    run: sleep 120\n',
      );
      await waitForJob(tork.baseUrl, id, ['RUNNING']);
      const { page, errors } = await open(`/jobs/${id}`);
      await expect.poll(() => page.locator('.job-head .state-badge').textContent()).toBe('RUNNING');

      await page.getByRole('button', { name: 'Cancel' }).click();

      await expect
        .poll(() => page.locator('.job-head .state-badge').textContent(), { timeout: 30_000 })
        .toBe('CANCELLED');
      await expect
        .poll(() => page.locator('.node-button[data-task-name="sleep"]').getAttribute('data-state'), {
          timeout: 30_000,
        })
        .toBe('CANCELLED');
      expect(await page.getByRole('button', { name: 'Restart' }).isVisible()).toBe(true);
      expect((await waitForJob(tork.baseUrl, id)).state).toBe('CANCELLED');
      await screenshot(page, 'cancelled');
      expect(errors()).toEqual([]);
    });

    it("shows the API's 400 problems at their fields' lines", async () => {
      const { page, errors } = await open('/submit');
      await page
        .getByLabel('Job definition')
        .fill(
          'name: broken\ntasks:\n  - name: fine\n    image: ubuntu:mantic\n    run: echo ok\n  - name: no image\n    run: echo\n    retry:\n      limit: 1000\n',
        );
      await page.getByRole('button', { name: 'Submit' }).click();

      const problems = page.locator('.problems');
      await problems.waitFor();
      const image = problems.locator('li[data-path="tasks[1].image"]');
      expect(await image.textContent()).toMatch(/^line 6 \(in\) tasks\[1\]\.image: /);
      const limit = problems.locator('li[data-path="tasks[1].retry.limit"]');
      expect(await limit.textContent()).toMatch(/^line 9 tasks\[1\]\.retry\.limit: /);
      const retry = problems.locator('li[data-path="tasks[1].retry"]');
      expect(await retry.textContent()).toMatch(/^line 8 tasks\[1\]\.retry: /);
      expect(await page.locator('.gutter-line.has-problem').allTextContents()).toEqual(['6', '8', '9']);
      expect(page.url()).toMatch(/\/ui\/submit$/);
      await screenshot(page, 'problems');
      // The 400 itself is all Chromium reports; the app logs nothing.
      expect(errors(/status of 400/)).toEqual([]);
    });

    it.each(['parallel', 'each'] as const)(
      `draws the task graph of ${GRAPH_SOURCE} %s example, every child with its state`,
      async (example) => {
        const { file, firstTask, firstLog } = GRAPH_EXAMPLES[example];
        const yaml = await readFile(file, 'utf8');
        const id = await submitJob(tork.baseUrl, yaml);
        const ended = await waitForJob(tork.baseUrl, id, ['COMPLETED', 'FAILED'], 60_000);
        expect(ended.state).toBe('COMPLETED');
        const { page, errors } = await open(`/jobs/${id}`);
        await page.locator('.job-head .state-badge').waitFor();

        const executions = ended.execution;
        const nodes = page.locator('.node-button');
        await expect.poll(() => nodes.count()).toBe(executions.length);
        const drawn = await nodes.evaluateAll((buttons) =>
          buttons.map(
            (button) =>
              `${button.getAttribute('data-task-name') ?? ''}: ${button.getAttribute('data-state') ?? ''}`,
          ),
        );
        expect(drawn.sort()).toEqual(executions.map((task) => `${task.name ?? ''}: ${task.state}`).sort());
        // Children are drawn nested under the composite task that ran them.
        const nested = await page.locator('.graph-node .children .node-button').count();
        expect(nested).toBe(
          executions.filter((task) => (task as { parentId?: string }).parentId !== undefined).length,
        );
        expect(nested).toBeGreaterThan(0);
        await page.locator(`.node-button[data-task-name="${firstTask}"]`).click();
        await expect
          .poll(() => page.getByRole('log', { name: 'Task log' }).textContent(), { timeout: 20_000 })
          .toContain(firstLog);
        await screenshot(page, `graph-${example}`, { readme: example === 'parallel' });
        expect(errors()).toEqual([]);
      },
    );
  });
});
