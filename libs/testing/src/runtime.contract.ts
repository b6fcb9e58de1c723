import { randomUUID } from 'node:crypto';
import { access, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isRuntimeError,
  NODE_LABEL,
  type ContainerOutcome,
  type ContainerSpec,
  type Leftovers,
  type Mount,
  type Runtime,
  type RuntimeFeatures,
} from '@tork/domain';
import { sleep, waitUntil } from './wait.js';

/** A field a runtime may lack; a runtime without it must refuse it before anything runs. */
export type RefusableField =
  | 'cmd'
  | 'entrypoint'
  | 'files'
  | 'workdir'
  | 'volume mount'
  | 'tmpfs mount'
  | 'bind mount'
  | 'networks'
  | 'sidecars'
  | 'registry'
  | 'gpus'
  | 'limits'
  | 'user';

export interface RuntimeContractOptions {
  /** The image tasks run in, for a runtime with images (e.g. `busybox`). */
  readonly image?: string;
  /** The result cap the runtime was made with; the cap case runs only when it is given. */
  readonly maxResultBytes?: number;
  /**
   * Leaves behind what a crashed engine would (e.g. a created container), carrying `labels`;
   * answers how many of each. Without it the containers case is not registered.
   */
  readonly leaveBehind?: (labels: Readonly<Record<string, string>>) => Promise<Partial<Leftovers>>;
  /**
   * How the contract sees a task's side effects: `host`, a directory on this machine (a runtime
   * whose tasks run here); `volume`, a volume a later run reads. Default: `host` for a runtime
   * without images, else `volume`.
   */
  readonly witness?: 'host' | 'volume';
}

/** When an aborted task would leave its late side effect, in seconds after it starts. */
const LATE_S = 2;
/** Waited after the abort settles: past the late side effect with room for a slow kill. */
const LATE_MS = LATE_S * 1_000 + 500;

/**
 * Registers the runtime contract (libs/domain/src/ports/runtime.ts) for one adapter. `make` is
 * called before each test and once to read the adapter's features: cases for a feature run only
 * when the runtime declares it, and a runtime without it must refuse the field (RuntimeError
 * `rejected`) before anything runs. Side effects a task must or must not leave are checked through
 * a witness directory (see {@link RuntimeContractOptions.witness}).
 */
export function runtimeContract(
  name: string,
  make: () => Promise<Runtime> | Runtime,
  options: RuntimeContractOptions = {},
): void {
  // Vitest awaits an async suite factory: the features decide which cases exist.
  describe(`${name} (runtime contract)`, async () => {
    const probe = await make();
    const features = probe.features;
    await probe.close();
    const witnessKind = options.witness ?? (features.images ? 'volume' : 'host');
    if (witnessKind === 'volume' && !features.mounts.includes('volume'))
      throw new Error(`${name}: the volume witness needs volume mounts; pass witness: 'host'`);

    let runtime: Runtime;
    let cleanups: (() => Promise<void>)[];
    let counter = 0;
    const suite = randomUUID().slice(0, 8);

    beforeEach(async () => {
      cleanups = [];
      runtime = await make();
    });

    afterEach(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      // Every run carries the suite's label: whatever still does was left behind by exit, error or abort.
      const left = await runtime.removeLeftovers({ 'tork.contract': suite });
      await runtime.close();
      expect(left, 'left behind by the runs of this test').toEqual({
        containers: 0,
        volumes: 0,
        networks: 0,
      });
    });

    const spec = (fields: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name: `contract-${suite}-${++counter}`,
      ...(options.image === undefined ? {} : { image: options.image }),
      env: {},
      mounts: [],
      labels: { 'tork.contract': suite },
      ...fields,
    });
    const never = (): AbortSignal => new AbortController().signal;
    const run = (fields: Partial<ContainerSpec>, signal = never()): Promise<ContainerOutcome> =>
      runtime.run(spec(fields), signal);

    /** A place tasks write to and the test reads: what a task did, or must not have done. */
    interface Witness {
      /** The directory as the task sees it. */
      readonly dir: string;
      readonly mounts: readonly Mount[];
      has(file: string): Promise<boolean>;
    }
    const witness = async (): Promise<Witness> => {
      if (witnessKind === 'host') {
        const dir = await mkdtemp(join(tmpdir(), 'tork-contract-'));
        // Tasks may run as another user (the shell runtime's uid option).
        await chmod(dir, 0o777);
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        return {
          dir,
          mounts: [],
          has: (file) =>
            access(join(dir, file)).then(
              () => true,
              () => false,
            ),
        };
      }
      const volume = await runtime.createVolume(`contract-${suite}-witness-${++counter}`);
      cleanups.push(() => runtime.removeVolume(volume));
      const mounts: Mount[] = [{ type: 'volume', source: volume, target: '/witness' }];
      return {
        dir: '/witness',
        mounts,
        has: async (file) =>
          (await run({ mounts, script: `test -e /witness/${file} && printf yes || printf no` })).result ===
          'yes',
      };
    };

    const register = (title: string, test: () => Promise<void>, timeout?: number): void => {
      it(title, test, timeout);
    };

    register('the result is the stdout of the script', async () => {
      const outcome = await run({ script: "printf 'hello'" });
      expect(outcome).toMatchObject({ exitCode: 0, result: 'hello', oomKilled: false });
    });

    register('what the task writes to $TORK_OUTPUT is the result, not its stdout', async () => {
      const outcome = await run({ script: 'echo noise; printf from-file > "$TORK_OUTPUT"' });
      expect(outcome.result).toBe('from-file');
    });

    register('the spec env reaches the task', async () => {
      const outcome = await run({
        env: { GREETING: 'hello from env', QUOTED: "it's $HOME" },
        script: 'printf "%s|%s" "$GREETING" "$QUOTED"',
      });
      expect(outcome.result).toBe("hello from env|it's $HOME");
    });

    register('a non-zero exit is an outcome, with the last output of both streams', async () => {
      const outcome = await run({ script: 'echo before-failure; echo oops >&2; exit 3' });
      expect(outcome.exitCode).toBe(3);
      expect(outcome.tail).toContain('before-failure');
      expect(outcome.tail).toContain('oops');
    });

    register('onOutput receives stdout and stderr as the task writes them', async () => {
      const chunks: { stream: string; text: string }[] = [];
      await run({
        script: 'echo to-stdout; echo to-stderr >&2',
        onOutput: (chunk) => chunks.push({ ...chunk }),
      });
      const text = (stream: string): string =>
        chunks
          .filter((chunk) => chunk.stream === stream)
          .map((chunk) => chunk.text)
          .join('');
      expect(text('stdout')).toBe('to-stdout\n');
      expect(text('stderr')).toBe('to-stderr\n');
    });

    const cap = options.maxResultBytes;
    if (cap !== undefined)
      register('a result over the cap is cut there, with a visible marker', async () => {
        const twice = `head -c ${cap * 2} /dev/zero | tr '\\0' a`;
        for (const script of [twice, `${twice} > "$TORK_OUTPUT"`]) {
          const { result } = await run({ script });
          expect(result.startsWith('a'.repeat(cap)), script).toBe(true);
          expect(result, script).not.toContain('a'.repeat(cap + 1));
          expect(result, script).toMatch(/truncated/);
        }
      });

    if (features.images)
      register('a spec without an image is refused before anything runs', async () => {
        const seen = await witness();
        const withImage = spec({ mounts: seen.mounts, script: `touch ${seen.dir}/ran` });
        await expectRejected(runtime.run({ ...withImage, image: undefined }, never()));
        expect(await seen.has('ran')).toBe(false);
      });
    else
      register('an image is ignored: the script runs without one', async () => {
        const outcome = await run({ image: 'no-such-image:contract', script: 'printf ran' });
        expect(outcome.result).toBe('ran');
      });

    if (features.cmd)
      register('without a script, cmd runs', async () => {
        const outcome = await run({ cmd: ['printf', '%s-%s', 'from', 'cmd'] });
        expect(outcome.result).toBe('from-cmd');
      });

    if (features.entrypoint)
      register('the script runs through the entrypoint, as its last argument', async () => {
        const outcome = await run({
          entrypoint: ['sh', '-c', 'printf "entry:%s" "$0"'],
          script: 'the-script',
        });
        expect(outcome.result).toBe('entry:the-script');
      });

    if (features.files)
      register('files are in the working directory, read-only', async () => {
        const outcome = await run({
          files: { 'note.txt': 'hello file', 'two.sh': 'echo two' },
          ...(features.workdir ? { workdir: '/contract-workdir' } : {}),
          script: "cat note.txt; printf '|'; sh two.sh; stat -c '%A' note.txt two.sh",
        });
        const [content, modes] = outcome.result.split('|');
        expect(content).toBe('hello file');
        expect(modes).toBe('two\n-r--r--r--\n-r--r--r--\n');
      });

    if (features.workdir)
      register('the task runs in its workdir', async () => {
        const outcome = await run({ workdir: '/contract-workdir', script: 'pwd' });
        expect(outcome.result.trim()).toBe('/contract-workdir');
      });

    if (features.mounts.includes('tmpfs'))
      register('a tmpfs mount is a tmpfs at its target', async () => {
        const outcome = await run({
          mounts: [{ type: 'tmpfs', target: '/scratch' }],
          script: "grep ' /scratch ' /proc/mounts | cut -d' ' -f3",
        });
        expect(outcome.result.trim()).toBe('tmpfs');
      });

    register(
      'progress written to $TORK_PROGRESS reaches onProgress while the task runs',
      async () => {
        const seen: { percent: number; running: boolean }[] = [];
        let running = true;
        const done = run({
          script: 'echo 40 > "$TORK_PROGRESS"; sleep 3',
          onProgress: (percent) => seen.push({ percent, running }),
        });
        await done.finally(() => {
          running = false;
        });
        expect(seen).toContainEqual({ percent: 40, running: true });
      },
      20_000,
    );

    register(
      'abort rejects with the signal reason, and nothing of the task runs on',
      async () => {
        const seen = await witness();
        const controller = new AbortController();
        const reason = new Error('contract: stop');
        let started = false;
        const running = run(
          {
            mounts: seen.mounts,
            script: `(sleep ${LATE_S}; touch ${seen.dir}/late-child) & echo started; sleep ${LATE_S}; touch ${seen.dir}/late`,
            onOutput: (chunk) => {
              if (chunk.text.includes('started')) started = true;
            },
          },
          controller.signal,
        );
        running.catch(() => undefined);
        await waitUntil('the task to start', () => started, { timeoutMs: 15_000 });
        controller.abort(reason);
        await expect(running).rejects.toBe(reason);
        await sleep(LATE_MS);
        expect(await seen.has('late')).toBe(false);
        expect(await seen.has('late-child')).toBe(false);
      },
      30_000,
    );

    register('a signal aborted before the run rejects with its reason, and nothing runs', async () => {
      const seen = await witness();
      const controller = new AbortController();
      const reason = new Error('contract: too late');
      controller.abort(reason);
      await expect(
        run({ mounts: seen.mounts, script: `touch ${seen.dir}/ran` }, controller.signal),
      ).rejects.toBe(reason);
      expect(await seen.has('ran')).toBe(false);
    });

    if (features.mounts.includes('volume'))
      register('a volume is shared between runs, and empty once removed', async () => {
        const volume = await runtime.createVolume(`contract-${suite}-shared-${++counter}`, {
          labels: { 'tork.contract': suite },
        });
        cleanups.push(() => runtime.removeVolume(volume));
        const mounts: Mount[] = [{ type: 'volume', source: volume, target: '/shared' }];
        await run({ mounts, script: 'echo shared-data > /shared/file' });
        expect((await run({ mounts, script: 'cat /shared/file' })).result).toBe('shared-data\n');
        await runtime.removeVolume(volume);
        await runtime.removeVolume(volume); // idempotent: a volume already gone is the goal
        // A run mounting the name again (Docker makes a fresh volume) no longer finds the file.
        const after = await run({
          mounts,
          script: 'test -e /shared/file && printf present || printf absent',
        });
        expect(after.result).toBe('absent');
      });

    register('removeLeftovers reports nothing when nothing carries the labels', async () => {
      const leftovers = await runtime.removeLeftovers({ [NODE_LABEL]: `contract-${suite}-nobody` });
      expect(leftovers).toEqual({ containers: 0, volumes: 0, networks: 0 });
    });

    const leaveBehind = options.leaveBehind;
    if (leaveBehind !== undefined)
      register('removeLeftovers removes what a crashed engine left behind', async () => {
        const labels = { [NODE_LABEL]: `contract-${suite}-crashed-${++counter}` };
        const left = await leaveBehind(labels);
        const expected = { containers: 0, volumes: 0, networks: 0, ...left };
        expect(expected.containers + expected.volumes + expected.networks).toBeGreaterThan(0);
        expect(await runtime.removeLeftovers(labels)).toEqual(expected);
        expect(await runtime.removeLeftovers(labels)).toEqual({ containers: 0, volumes: 0, networks: 0 });
      });

    if (features.mounts.includes('volume'))
      register('removeLeftovers removes volumes with all the labels, and only those', async () => {
        const labels = { [NODE_LABEL]: `contract-${suite}-dead-${++counter}`, 'tork.contract': suite };
        const other = { [NODE_LABEL]: `contract-${suite}-alive-${++counter}`, 'tork.contract': suite };
        const mine = await runtime.createVolume(`contract-${suite}-left-${counter}`, { labels });
        const theirs = await runtime.createVolume(`contract-${suite}-kept-${counter}`, { labels: other });
        cleanups.push(() => runtime.removeVolume(mine));
        cleanups.push(() => runtime.removeVolume(theirs));
        expect(await runtime.removeLeftovers(labels)).toEqual({ containers: 0, volumes: 1, networks: 0 });
        expect(await runtime.removeLeftovers(labels)).toEqual({ containers: 0, volumes: 0, networks: 0 });
        expect(await runtime.removeLeftovers(other)).toEqual({ containers: 0, volumes: 1, networks: 0 });
      });

    register('healthCheck resolves', async () => {
      await expect(runtime.healthCheck()).resolves.toBeUndefined();
    });

    for (const field of refusable(features)) {
      register(`refuses ${field}, which it lacks, before anything runs`, async () => {
        const seen = await witness();
        const base = spec({ mounts: seen.mounts, script: `touch ${seen.dir}/ran` });
        await expectRejected(runtime.run({ ...base, ...fieldOf(field, base, options.image) }, never()));
        if (field === 'volume mount') await expectRejected(runtime.createVolume(`contract-${suite}-refused`));
        expect(await seen.has('ran')).toBe(false);
      });
    }
  });
}

/** The fields a runtime with these features lacks. */
function refusable(features: RuntimeFeatures): RefusableField[] {
  const lacking: RefusableField[] = [];
  for (const field of [
    'cmd',
    'entrypoint',
    'files',
    'workdir',
    'networks',
    'sidecars',
    'registry',
    'gpus',
    'limits',
    'user',
  ] as const)
    if (!features[field]) lacking.push(field);
  for (const type of ['volume', 'tmpfs', 'bind'] as const)
    if (!features.mounts.includes(type)) lacking.push(`${type} mount`);
  return lacking;
}

/** The spec fields asking for `field`. */
function fieldOf(field: RefusableField, base: ContainerSpec, image = 'busybox'): Partial<ContainerSpec> {
  switch (field) {
    case 'cmd':
      return { cmd: ['true'] };
    case 'entrypoint':
      return { entrypoint: ['sh', '-c'] };
    case 'files':
      return { files: { 'note.txt': 'hello' } };
    case 'workdir':
      return { workdir: '/contract-workdir' };
    case 'volume mount':
      return { mounts: [...base.mounts, { type: 'volume', source: `${base.name}-volume`, target: '/data' }] };
    case 'tmpfs mount':
      return { mounts: [...base.mounts, { type: 'tmpfs', target: '/scratch' }] };
    case 'bind mount':
      return {
        mounts: [...base.mounts, { type: 'bind', source: tmpdir(), target: '/host-tmp', readOnly: true }],
      };
    case 'networks':
      return { networks: ['contract-network'] };
    case 'sidecars':
      return { sidecars: [{ name: 'side', image, env: {} }] };
    case 'registry':
      return { registry: { username: 'contract', password: 'secret' } };
    case 'gpus':
      return { gpus: 'all' };
    case 'limits':
      return { cpus: 0.5, memoryBytes: 64 * 1024 * 1024 };
    case 'user':
      return { user: '65534' };
  }
}

async function expectRejected(work: Promise<unknown>): Promise<void> {
  const error: unknown = await work.then(
    () => new Error('expected a refusal, but it ran'),
    (reason: unknown) => reason,
  );
  expect(isRuntimeError(error) ? error.kind : error).toBe('rejected');
}
