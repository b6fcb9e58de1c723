import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithService, startTork, waitForJob, type TorkProcess } from '@tork/testing';
import type { Browser, Page } from 'playwright-core';
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

if (!existsSync(WEB_DIST)) throw new Error(`no dashboard build at ${WEB_DIST}: run nx run web:build first`);

/** The pages that show the engine itself refresh this often; a poll waits a few of their rounds. */
const PAGE_ROUNDS_MS = 10_000;

/**
 * A file a task waits for: the test holds a task RUNNING (and what queues behind it waiting) until it
 * opens the gate, so what the page shows in between is not a race.
 */
interface Gate {
  /** A shell loop that returns once the gate is open. */
  readonly wait: string;
  readonly open: () => Promise<void>;
}

describeWithService(
  'Chromium',
  chromiumAvailable,
  'bash .ci/run installs Debian chromium (or set TORK_CHROMIUM)',
)('the dashboard against a standalone engine that runs one shell task at a time', () => {
  let tork: TorkProcess;
  let browser: Browser;
  let scratch: string;
  let tab: WatchedPage | undefined;
  const gates: Gate[] = [];

  beforeAll(async () => {
    [tork, browser, scratch] = await Promise.all([
      // One slot in `default`, so tasks visibly wait; heartbeats every second, so the Nodes page is live.
      startTork([
        '-mode',
        'standalone',
        '-runtime',
        'shell',
        '-queue',
        'default:1',
        '-heartbeat-interval',
        '1s',
      ]),
      launchChromium(),
      mkdtemp(join(tmpdir(), 'tork-web-')),
    ]);
  });

  afterAll(async () => {
    // A test that failed half way leaves no task waiting for the engine's drain timeout.
    await Promise.all(gates.map((gate) => gate.open()));
    await tab?.close();
    await browser.close();
    expect(await tork.stop()).toBe(0);
    await rm(scratch, { recursive: true, force: true });
  });

  function gate(): Gate {
    const path = join(scratch, `gate-${gates.length}`);
    const made = { wait: `while [ ! -f ${path} ]; do sleep 0.05; done`, open: () => writeFile(path, '') };
    gates.push(made);
    return made;
  }

  async function open(path: string): Promise<WatchedPage> {
    await tab?.close();
    tab = await openPage(browser, tork.baseUrl);
    await tab.page.goto(`/ui${path}`);
    return tab;
  }

  /** A job of one task that runs `run`. */
  const oneTask = (name: string, task: string, run: string): string =>
    JSON.stringify({ name, tasks: [{ name: task, image: 'busybox', run }] });

  const cellsOf = (page: Page, row: string) => page.locator(row).locator('td').allTextContents();

  it('restarts a failed job: its failed task runs again as attempt 2, shown in the timeline', async () => {
    const ran = join(scratch, 'ran-once');
    const second = gate();
    // Fails the first time; the second time it waits for the test, then succeeds.
    const run = `if [ -f ${ran} ]; then ${second.wait}; echo -n fixed > "$TORK_OUTPUT"; else touch ${ran}; exit 1; fi`;
    const id = await submitJob(tork.baseUrl, oneTask('fails once', 'flaky step', run), 'application/json');
    expect((await waitForJob(tork.baseUrl, id, ['FAILED', 'COMPLETED'])).state).toBe('FAILED');
    const { page, errors } = await open(`/jobs/${id}`);
    const badge = page.locator('.job-head .state-badge');
    const timeline = page.getByRole('list', { name: 'Executions over time' }).locator('.timeline-label');
    await expect.poll(() => badge.textContent()).toBe('FAILED');
    expect(await page.locator('.job-error').isVisible()).toBe(true);
    expect(await timeline.allTextContents()).toEqual(['flaky step']);

    await page.getByRole('button', { name: 'Restart' }).click();

    await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toBe('RUNNING');
    await expect
      .poll(() => timeline.allTextContents(), { timeout: 20_000 })
      .toEqual(['flaky step', 'flaky step · attempt 2']);
    const node = page.locator('.node-button[data-task-name="flaky step"]');
    expect(await node.getAttribute('data-state')).toBe('RUNNING');
    expect(await node.locator('.node-attempts').textContent()).toBe('attempt 2');
    expect(await page.getByRole('button', { name: 'Restart' }).count()).toBe(0);
    expect(await page.locator('.job-error').count()).toBe(0);

    await second.open();
    await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toBe('COMPLETED');
    expect(await page.locator('.job-result').textContent()).toBe('fixed');
    expect(await node.getAttribute('data-state')).toBe('COMPLETED');
    expect(await timeline.allTextContents()).toEqual(['flaky step', 'flaky step · attempt 2']);
    await screenshot(page, 'restarted');
    expect(errors()).toEqual([]);
  });

  it("lists the engine's worker on the Nodes page, with its running tasks as they change", async () => {
    const { page, errors } = await open('/');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Nodes' }).click();
    await page.getByRole('heading', { name: 'Nodes', level: 1 }).waitFor();
    const rows = page.locator('tbody tr');
    await rows.first().waitFor({ timeout: PAGE_ROUNDS_MS });
    expect(await rows.count()).toBe(1);
    const response = await fetch(`${tork.baseUrl}/nodes`);
    const [node] = (await response.json()) as { id: string; version?: string }[];
    if (node === undefined) throw new Error('GET /nodes lists no node');

    const running = page.locator('tbody tr td').nth(5);
    // Idle: no task of this engine runs (a heartbeat from before the last test's task ended may linger).
    await expect.poll(() => running.textContent(), { timeout: PAGE_ROUNDS_MS }).toBe('0');
    const cells = await cellsOf(page, 'tbody tr');
    expect(cells[0]).toBe(`${hostname()}${node.id}`);
    expect(cells[1]).toBe('UP');
    expect(cells[2]).toMatch(/^(just now|\d(\.\d)? s ago)$/);
    expect(cells[3]).toBe('default × 1');
    expect(cells[4]).toMatch(/^\d+%$/);
    expect(cells[5]).toBe('0');
    expect(cells[6]).not.toBe('–');
    expect(cells[7]).toBe(node.version);

    // A task runs: the worker's next heartbeat says so, and the page shows it.
    const held = gate();
    const id = await submitJob(tork.baseUrl, oneTask('held', 'hold', held.wait), 'application/json');
    await waitForJob(tork.baseUrl, id, ['RUNNING']);
    await expect.poll(() => running.textContent(), { timeout: PAGE_ROUNDS_MS }).toBe('1');
    await screenshot(page, 'nodes');

    await held.open();
    expect((await waitForJob(tork.baseUrl, id)).state).toBe('COMPLETED');
    await expect.poll(() => running.textContent(), { timeout: PAGE_ROUNDS_MS }).toBe('0');
    // Still heard from every second, the node stays UP.
    expect(await page.locator('tbody tr td').nth(1).textContent()).toBe('UP');
    expect(await page.locator('tbody tr td').nth(2).textContent()).toMatch(/^(just now|\d(\.\d)? s ago)$/);
    expect(errors()).toEqual([]);
  });

  it('shows on the Queues page the tasks waiting in default, fewer as they finish', async () => {
    const { page, errors } = await open('/');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();
    const row = 'tbody tr:has(> td:first-child:text-is("default"))';
    await page.locator(row).waitFor({ timeout: PAGE_ROUNDS_MS });
    // Name, size, subscribers (the one worker), unacknowledged.
    expect(await cellsOf(page, row)).toEqual(['default', '0', '1', '0']);

    // Four jobs for one slot: one task runs, three wait in the queue until the tasks before them end.
    const held = [gate(), gate(), gate(), gate()];
    const ids: string[] = [];
    for (const [n, each] of held.entries())
      ids.push(await submitJob(tork.baseUrl, oneTask(`queued ${n}`, 'wait', each.wait), 'application/json'));
    const size = page.locator(row).locator('td').nth(1);
    await expect.poll(() => size.textContent(), { timeout: PAGE_ROUNDS_MS }).toBe('3');
    await screenshot(page, 'queues');

    await held[0]?.open();
    await expect.poll(() => size.textContent(), { timeout: PAGE_ROUNDS_MS }).toBe('2');

    await Promise.all(held.map((each) => each.open()));
    await expect.poll(() => size.textContent(), { timeout: PAGE_ROUNDS_MS }).toBe('0');
    for (const id of ids) expect((await waitForJob(tork.baseUrl, id)).state).toBe('COMPLETED');
    expect(errors()).toEqual([]);
  });

  it('folds an each of 150 items into one node with done/total, and unfolds it page by page', async () => {
    const held = gate();
    const yaml = [
      'name: many items',
      'tasks:',
      '  - name: items',
      '    each:',
      "      list: '{{ sequence(0, 150) }}'",
      '      task:',
      '        name: item {{ item.value }}',
      '        image: busybox',
      `        run: '${held.wait}'`,
    ].join('\n');
    const id = await submitJob(tork.baseUrl, yaml);
    await waitForJob(tork.baseUrl, id, ['RUNNING']);
    const { page, errors } = await open(`/jobs/${id}`);
    const each = page.locator('.node-button[data-task-name="items"]');
    const fold = page.locator('.graph-node:has(> .node-button[data-task-name="items"]) > .children > .fold');
    const nodes = page.locator('.node-button');

    // The first item runs, the others wait: counted, not drawn.
    await expect
      .poll(() => fold.locator('.state-counts').textContent(), { timeout: 20_000 })
      .toBe('1 running · 149 scheduled');
    expect(await each.locator('.node-progress').textContent()).toBe('0/150 done');
    expect(await nodes.count()).toBe(1);
    expect(await page.locator('.timeline-progress').textContent()).toBe('0/150 done');
    const unfold = fold.getByRole('button', { name: 'Show all 150' });
    expect(await unfold.getAttribute('aria-expanded')).toBe('false');

    await held.open();
    await expect
      .poll(() => each.locator('.node-progress').textContent(), { timeout: 30_000 })
      .toBe('150/150 done');
    await expect.poll(() => page.locator('.job-head .state-badge').textContent()).toBe('COMPLETED');
    expect(await fold.locator('.state-counts').textContent()).toBe('150 completed');
    expect(await nodes.count()).toBe(1);
    await screenshot(page, 'each-folded');

    // The timeline draws it as one row too, and opens it to the children the job view holds.
    const timeline = page.getByRole('list', { name: 'Executions over time' });
    const rows = timeline.locator('li');
    expect(await rows.count()).toBe(1);
    expect(await timeline.locator('.timeline-label').allTextContents()).toEqual(['items']);
    expect(await timeline.locator('.timeline-progress').textContent()).toBe('150/150 done');
    const view = (await (await fetch(`${tork.baseUrl}/jobs/${id}`)).json()) as {
      execution: { parentId?: string }[];
    };
    const inView = view.execution.filter((task) => task.parentId !== undefined).length;
    expect(inView).toBeGreaterThan(0);
    await timeline.getByRole('button', { name: 'Show all 150 of items' }).click();
    await expect.poll(() => rows.count()).toBe(1 + inView);
    expect(await timeline.locator('.timeline-label').nth(1).textContent()).toBe('item 0');
    await timeline.getByRole('button', { name: 'Fold items' }).click();
    await expect.poll(() => rows.count()).toBe(1);

    // Opened, the children come a page at a time.
    await unfold.click();
    await expect.poll(() => nodes.count(), { timeout: 20_000 }).toBe(1 + 50);
    expect(await page.getByRole('navigation', { name: 'Pages of children' }).textContent()).toContain(
      'Page 1 of 3 · 150 children',
    );
    expect(await page.locator('.children .node-button').first().getAttribute('data-task-name')).toBe(
      'item 0',
    );
    await fold.getByRole('button', { name: 'Fold' }).click();
    await expect.poll(() => nodes.count()).toBe(1);
    expect(errors()).toEqual([]);
  });
});
