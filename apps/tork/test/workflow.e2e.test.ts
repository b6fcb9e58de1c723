import {
  describeWithDistributedServices,
  ENGINE_MODES,
  startEngine,
  waitForJob,
  type Engine,
} from '@tork/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const describeDistributed = await describeWithDistributedServices({ docker: true });

/** A job as `GET /jobs/{id}` shows it, as far as these tests look. */
interface JobView {
  readonly id: string;
  readonly state: string;
  readonly result?: string;
  readonly error?: string;
  readonly position: number;
  readonly context: {
    inputs: Record<string, string>;
    secrets: Record<string, string>;
    tasks: Record<string, string>;
  };
  readonly execution: readonly Execution[];
}

interface Execution {
  readonly id: string;
  readonly parentId?: string;
  readonly position: number;
  readonly kind: string;
  readonly name?: string;
  readonly state: string;
  readonly attempt: number;
  readonly result?: string;
  readonly error?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly subjobId?: string;
  readonly childCounts?: Record<string, number>;
}

// The job language end to end, each feature against the real Docker engine, in both modes.
describeDistributed('the job language', () => {
  describe.each(ENGINE_MODES)('%s', (mode) => {
    let engine: Engine;

    beforeAll(async () => {
      engine = await startEngine(mode, { workerFlags: ['-queue', 'default:8'] });
    }, 120_000);

    afterAll(async () => {
      await engine.stop();
    });

    async function submit(body: unknown): Promise<string> {
      const response = await fetch(`${engine.baseUrl}/jobs`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      const answer = (await response.json()) as { id?: string; error?: string };
      if (response.status !== 200 || answer.id === undefined)
        throw new Error(`submission answered ${response.status}: ${JSON.stringify(answer)}`);
      return answer.id;
    }

    async function ended(id: string, timeoutMs = 60_000): Promise<JobView> {
      await waitForJob(engine.baseUrl, id, ['COMPLETED', 'FAILED', 'CANCELLED'], timeoutMs);
      return view(id);
    }

    async function view(id: string): Promise<JobView> {
      return (await (await fetch(`${engine.baseUrl}/jobs/${id}`)).json()) as JobView;
    }

    const childrenOf = (job: JobView, parent: Execution | undefined): Execution[] =>
      job.execution.filter((task) => task.parentId === parent?.id && parent !== undefined);

    it('runs a parallel task: every child at once, then the next task', async () => {
      const job = await ended(
        await submit({
          name: 'parallel',
          tasks: [
            {
              name: 'fan',
              parallel: {
                tasks: [1, 2, 3].map((n) => ({
                  name: `p${n}`,
                  image: 'busybox',
                  run: `sleep 1; echo -n ${n}`,
                })),
              },
            },
            { name: 'after', image: 'busybox', run: 'echo -n done' },
          ],
        }),
      );
      expect(job).toMatchObject({ state: 'COMPLETED', result: 'done', position: 2 });
      const [fan] = job.execution;
      const children = childrenOf(job, fan);
      expect(children.map((child) => [child.position, child.state, child.result])).toEqual([
        [1, 'COMPLETED', '1'],
        [2, 'COMPLETED', '2'],
        [3, 'COMPLETED', '3'],
      ]);
      // They ran at once: each started before any ended.
      const lastStart = Math.max(...children.map((child) => Date.parse(child.startedAt ?? '')));
      const firstEnd = Math.min(...children.map((child) => Date.parse(child.completedAt ?? '')));
      expect(lastStart).toBeLessThan(firstEnd);
    });

    it('fails a parallel task and its job naming the failing child and its exit code, and cancels the others', async () => {
      const job = await ended(
        await submit({
          tasks: [
            {
              parallel: {
                tasks: [
                  { name: 'slow', image: 'busybox', run: 'sleep 30' },
                  { name: 'broken', image: 'busybox', run: 'sleep 1; exit 3' },
                ],
              },
            },
            { name: 'never', image: 'busybox', run: 'echo never' },
          ],
        }),
      );
      expect(job.state).toBe('FAILED');
      expect(job.error).toBe('"broken" failed: exit code 3');
      const children = childrenOf(job, job.execution[0]);
      expect(children.map((child) => [child.name, child.state])).toEqual([
        ['slow', 'CANCELLED'],
        ['broken', 'FAILED'],
      ]);
      expect(job.execution.some((task) => task.name === 'never')).toBe(false);
    });

    it("runs an each's items, `concurrency` at a time, each with its item, their vars in the job's context", async () => {
      const job = await ended(
        await submit({
          output: '{{ tasks.item0 }}+{{ tasks.item3 }}',
          tasks: [
            {
              each: {
                list: "{{ split('a,b,c,d', ',') }}",
                var: 'letter',
                concurrency: 2,
                task: {
                  name: 'item {{ letter.index }}',
                  var: 'item{{ letter.index }}',
                  image: 'busybox',
                  env: { LETTER: '{{ upper(letter.value) }}' },
                  run: 'sleep 1; echo -n $LETTER > $TORK_OUTPUT',
                },
              },
            },
          ],
        }),
      );
      expect(job).toMatchObject({ state: 'COMPLETED', result: 'A+D' });
      expect(job.context.tasks).toEqual({ item0: 'A', item1: 'B', item2: 'C', item3: 'D' });
      const items = childrenOf(job, job.execution[0]);
      expect(items.map((item) => item.name)).toEqual(['item 0', 'item 1', 'item 2', 'item 3']);
      // Never more than two at once: the third started after one of the first two had ended.
      const at = (task: Execution | undefined, stamp: 'startedAt' | 'completedAt') =>
        Date.parse(task?.[stamp] ?? '');
      expect(at(items[2], 'startedAt')).toBeGreaterThanOrEqual(
        Math.min(at(items[0], 'completedAt'), at(items[1], 'completedAt')),
      );
    });

    it('fails an each whose list is not a list, saying so; completes one over an empty list at once', async () => {
      const wrong = await ended(
        await submit({ tasks: [{ each: { list: "{{ 'not a list' }}", task: { image: 'busybox' } } }] }),
      );
      expect(wrong.state).toBe('FAILED');
      expect(wrong.error).toContain('each.list must evaluate to a list');
      const empty = await ended(
        await submit({ tasks: [{ each: { list: '{{ [] }}', task: { image: 'busybox' } } }] }),
      );
      expect(empty.state).toBe('COMPLETED');
    });

    it("runs a subjob and completes its task with the subjob's output; a failing one fails it", async () => {
      const job = await ended(
        await submit({
          tasks: [
            {
              var: 'fromChild',
              subjob: {
                name: 'child',
                inputs: { greeting: '{{ inputs.word }}!' },
                output: '{{ tasks.inner }}',
                tasks: [
                  {
                    var: 'inner',
                    image: 'busybox',
                    env: { G: '{{ inputs.greeting }}' },
                    run: 'echo -n $G > $TORK_OUTPUT',
                  },
                ],
              },
            },
          ],
          inputs: { word: 'hi' },
          output: 'parent saw {{ tasks.fromChild }}',
        }),
      );
      expect(job).toMatchObject({ state: 'COMPLETED', result: 'parent saw hi!' });
      const sub = await view(job.execution[0]?.subjobId ?? '');
      expect(sub).toMatchObject({ state: 'COMPLETED', result: 'hi!' });

      const failing = await ended(
        await submit({
          tasks: [{ subjob: { tasks: [{ subjob: { tasks: [{ image: 'busybox', run: 'exit 4' }] } }] } }],
        }),
      );
      expect(failing.error).toBe('sub-job failed: sub-job failed: exit code 4');
    });

    it('cancels an attached subjob with its job; a detached one completes its task at once and runs on', async () => {
      const attached = await submit({
        tasks: [
          {
            name: 'runs a child',
            subjob: { name: 'child', tasks: [{ name: 'long', image: 'busybox', run: 'sleep 60' }] },
          },
        ],
      });
      await expect
        .poll(async () => (await view(attached)).execution[0]?.subjobId, { timeout: 30_000 })
        .toBeDefined();
      const subjobId = (await view(attached)).execution[0]?.subjobId ?? '';
      await waitForTaskRunning(subjobId, 'long');
      expect((await fetch(`${engine.baseUrl}/jobs/${attached}/cancel`, { method: 'PUT' })).status).toBe(200);
      await waitForJob(engine.baseUrl, attached, ['CANCELLED']);
      const child = await ended(subjobId);
      expect(child.state).toBe('CANCELLED');
      expect(child.execution[0]?.state).toBe('CANCELLED');

      const detached = await ended(
        await submit({
          tasks: [
            {
              name: 'fire and forget',
              subjob: { detached: true, tasks: [{ image: 'busybox', run: 'sleep 2; echo -n later' }] },
            },
            { name: 'next', image: 'busybox', run: 'echo -n next' },
          ],
        }),
      );
      expect(detached).toMatchObject({ state: 'COMPLETED', result: 'next' });
      const background = await view(detached.execution[0]?.subjobId ?? '');
      expect(background.state).not.toBe('COMPLETED'); // still sleeping when its parent ended
      expect(await ended(background.id)).toMatchObject({ state: 'COMPLETED', result: 'later' });
    });

    it('skips a task whose `if` is false, and uses inputs, secrets and defaults in expressions', async () => {
      const id = await submit({
        inputs: { mode: 'quick' },
        secrets: { token: 'tok-3141592653' },
        defaults: { timeout: '1m', retry: { limit: 1, initialDelay: '100ms' } },
        tasks: [
          { name: 'thorough', if: "{{ inputs.mode == 'thorough' }}", image: 'busybox', run: 'exit 1' },
          {
            name: 'use the secret',
            var: 'out',
            image: 'busybox',
            env: { AUTH: 'Bearer {{ secrets.token }}' },
            run: 'echo "$AUTH"; echo -n "${#AUTH}" > $TORK_OUTPUT',
          },
        ],
        output: '{{ tasks.out }}',
      });
      const job = await ended(id);
      expect(job).toMatchObject({ state: 'COMPLETED', result: String('Bearer tok-3141592653'.length) });
      expect(job.execution.map((task) => task.state)).toEqual(['SKIPPED', 'COMPLETED']);
      const log = (await (await fetch(`${engine.baseUrl}/jobs/${id}/log`)).json()) as {
        items: { text: string }[];
      };
      const task = await (await fetch(`${engine.baseUrl}/tasks/${job.execution[1]?.id ?? ''}`)).text();
      // The env value holds a secret, so the whole value is secret: shown and printed masked.
      expect(log.items[0]?.text).toBe('[REDACTED]');
      expect(job.execution[1]).toMatchObject({ env: { AUTH: '[REDACTED]' } });
      expect([JSON.stringify(job), JSON.stringify(log), task].join('\n')).not.toContain('tok-3141592653');
      expect(job.context.secrets).toEqual({ token: '[REDACTED]' });
    });

    it('restarts a cancelled job where it stopped: what completed is not run again', async () => {
      const id = await submit({
        tasks: [
          { name: 'first', var: 'first', image: 'busybox', run: 'echo -n one > $TORK_OUTPUT' },
          { name: 'long', image: 'busybox', run: 'sleep 60' },
        ],
      });
      // Each round waits for its own attempt: the last one may still show RUNNING a moment after
      // its job was CANCELLED (the job's end and its tasks' cancellation are two changes).
      const cancel = async (attempt: number): Promise<void> => {
        await waitForTaskRunning(id, 'long', attempt);
        expect((await fetch(`${engine.baseUrl}/jobs/${id}/cancel`, { method: 'PUT' })).status).toBe(200);
        await waitForJob(engine.baseUrl, id, ['CANCELLED']);
      };
      await cancel(1);
      expect((await fetch(`${engine.baseUrl}/job/${id}/restart`, { method: 'PUT' })).status).toBe(200);
      await cancel(2);
      const job = await view(id);
      expect(job.execution.map((task) => [task.name, task.attempt, task.state])).toEqual([
        ['first', 1, 'COMPLETED'],
        ['long', 1, 'CANCELLED'],
        ['long', 2, 'CANCELLED'],
      ]);
      expect(job.context.tasks).toEqual({ first: 'one' });
      const again = await fetch(`${engine.baseUrl}/jobs/${id}/restart`, { method: 'PUT' });
      expect(again.status).toBe(200);
      await waitForTaskRunning(id, 'long', 3);
      await fetch(`${engine.baseUrl}/jobs/${id}/cancel`, { method: 'PUT' });
    });

    it('answers a submission with `wait` once the job ended, with the whole job', async () => {
      const response = await fetch(`${engine.baseUrl}/jobs`, {
        method: 'POST',
        body: 'wait:\n  timeout: 1m\ntasks:\n  - image: busybox\n    run: echo -n waited\n',
        headers: { 'content-type': 'text/yaml' },
      });
      expect(response.status).toBe(200);
      const job = (await response.json()) as JobView;
      expect(job).toMatchObject({ state: 'COMPLETED', result: 'waited' });
      expect(job.execution).toHaveLength(1);
    });

    it('deletes a job that asked for it, after it ended', async () => {
      const id = await submit({ autoDelete: { after: '1s' }, tasks: [{ image: 'busybox', run: 'true' }] });
      await ended(id);
      await expect
        .poll(async () => (await fetch(`${engine.baseUrl}/jobs/${id}`)).status, { timeout: 15_000 })
        .toBe(404);
    });

    it("pages a job's log: every task's output, in order", async () => {
      const id = await submit({
        tasks: [
          { image: 'busybox', run: 'echo first line' },
          { image: 'busybox', run: 'echo second line' },
        ],
      });
      await ended(id);
      await expect
        .poll(async () => {
          const page = (await (await fetch(`${engine.baseUrl}/jobs/${id}/log`)).json()) as {
            items: { text: string }[];
          };
          return page.items.map((item) => item.text).join('');
        })
        .toBe('first line\nsecond line\n');
    });

    async function waitForTaskRunning(id: string, name: string, attempt?: number): Promise<void> {
      await expect
        .poll(
          async () =>
            (await view(id)).execution.filter(
              (task) =>
                task.name === name &&
                task.state === 'RUNNING' &&
                (attempt === undefined || task.attempt === attempt),
            ).length,
          {
            timeout: 30_000,
          },
        )
        .toBeGreaterThan(0);
    }
  });

  describe.each(ENGINE_MODES)('%s, one worker slot', (mode) => {
    let engine: Engine;

    beforeAll(async () => {
      engine = await startEngine(mode, { workerFlags: ['-queue', 'default:1'] });
    }, 120_000);

    afterAll(async () => {
      await engine.stop();
    });

    async function submit(body: unknown): Promise<string> {
      const response = await fetch(`${engine.baseUrl}/jobs`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      const answer = (await response.json()) as { id?: string };
      if (answer.id === undefined) throw new Error(`submission answered ${response.status}`);
      return answer.id;
    }

    it('runs the waiting task of the highest priority first, the job default applying where a task sets none', async () => {
      const blocker = await submit({ tasks: [{ name: 'blocker', image: 'busybox', run: 'sleep 2' }] });
      await waitForJob(engine.baseUrl, blocker, ['RUNNING']);
      const low = await submit({ defaults: { priority: 1 }, tasks: [{ image: 'busybox', run: 'true' }] });
      const none = await submit({ tasks: [{ image: 'busybox', run: 'true' }] });
      const high = await submit({ tasks: [{ priority: 9, image: 'busybox', run: 'true' }] });
      const startedAt = async (id: string): Promise<number> => {
        const job = await waitForJob(engine.baseUrl, id, ['COMPLETED'], 60_000);
        return Date.parse(job.execution[0]?.startedAt ?? '');
      };
      const [lowAt, noneAt, highAt] = [await startedAt(low), await startedAt(none), await startedAt(high)];
      expect(highAt).toBeLessThan(lowAt);
      expect(lowAt).toBeLessThan(noneAt);
    });
  });
});
