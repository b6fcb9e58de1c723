import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

/** A batch function that records each batch and answers when released. */
function recorder(): {
  batches: string[][];
  execute: (inputs: readonly string[]) => Promise<string[]>;
  release: () => void;
} {
  const batches: string[][] = [];
  let releases: (() => void)[] = [];
  return {
    batches,
    execute: (inputs) => {
      batches.push([...inputs]);
      return new Promise((resolve) => {
        releases.push(() => {
          resolve(inputs.map((input) => `done ${input}`));
        });
      });
    },
    release: () => {
      const pending = releases;
      releases = [];
      for (const release of pending) release();
    },
  };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const keyOf = (input: string): string => input.split('#')[0] ?? input;

describe('Batcher', () => {
  it('sends a call at once when idle, and the calls that arrive meanwhile as one batch', async () => {
    const { batches, execute, release } = recorder();
    const batcher = new Batcher(execute, keyOf, 100);

    const first = batcher.submit('a');
    expect(batches).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((input) => batcher.submit(input));
    release();
    await expect(first).resolves.toBe('done a');
    await settled();
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    release();
    await expect(Promise.all(rest)).resolves.toEqual(['done b', 'done c', 'done d']);
  });

  it('never puts two calls for one key in a batch, and keeps their order', async () => {
    const { batches, execute, release } = recorder();
    const batcher = new Batcher(execute, keyOf, 100);

    const calls = ['x', 'a#1', 'b', 'a#2', 'c', 'a#3'].map((input) => batcher.submit(input));
    for (let round = 0; round < 4; round += 1) {
      release();
      await settled();
    }
    await Promise.all(calls);
    expect(batches).toEqual([['x'], ['a#1', 'b', 'c'], ['a#2'], ['a#3']]);
  });

  it('holds at most maxSize calls per batch', async () => {
    const { batches, execute, release } = recorder();
    const batcher = new Batcher(execute, keyOf, 2);

    const calls = ['a', 'b', 'c', 'd', 'e'].map((input) => batcher.submit(input));
    for (let round = 0; round < 3; round += 1) {
      release();
      await settled();
    }
    await Promise.all(calls);
    expect(batches).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it('tries each call of a failed batch on its own: one bad input fails only its caller', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string, string>(
      (inputs) => {
        batches.push([...inputs]);
        return inputs.includes('bad')
          ? Promise.reject(new Error('bad row'))
          : Promise.resolve(inputs.map((input) => `done ${input}`));
      },
      keyOf,
      100,
    );

    const outcomes = await Promise.allSettled(['a', 'b', 'bad', 'c'].map((input) => batcher.submit(input)));
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 'rejected'))).toEqual([
      'done a',
      'done b',
      'rejected',
      'done c',
    ]);
    expect(batches).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
  });

  it('with a linger, holds an idle first call for the others to join it; drain sends what it holds at once', async () => {
    const { batches, execute, release } = recorder();
    const batcher = new Batcher(execute, keyOf, 100, 60_000);

    const calls = ['a', 'b', 'c'].map((input) => batcher.submit(input));
    await settled();
    expect(batches).toEqual([]);
    const drained = batcher.drain();
    expect(batches).toEqual([['a', 'b', 'c']]);
    release();
    await drained;
    expect(await Promise.all(calls)).toEqual(['done a', 'done b', 'done c']);
  });

  it('with a short linger, sends the held calls together when it ends', async () => {
    const { batches, execute, release } = recorder();
    const batcher = new Batcher(execute, keyOf, 100, 20);
    const calls = ['a', 'b'].map((input) => batcher.submit(input));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(batches).toEqual([['a', 'b']]);
    release();
    await Promise.all(calls);
  });

  it('drain resolves only once the batch in flight and those waiting behind it are done', async () => {
    const { batches, execute, release } = recorder();
    const batcher = new Batcher(execute, keyOf, 100);
    const first = batcher.submit('a');
    const second = batcher.submit('b');
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    await settled();
    expect(drained).toBe(false);
    release();
    await first;
    await settled();
    expect(batches).toEqual([['a'], ['b']]);
    expect(drained).toBe(false);
    release();
    await draining;
    expect(await second).toBe('done b');
  });
});
