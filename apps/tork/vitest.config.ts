import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.js';

/** The longest files, started before the rest: the others then fill the workers beside them. */
const LONGEST = ['test/concurrent-start.e2e.test.ts', 'test/tork-examples.e2e.test.ts'];

/** Vitest's order (failed, then slowest, then largest first) with the longest files at its head, cache or none. */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const index = LONGEST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
      return index === -1 ? LONGEST.length : index;
    };
    return sorted
      .map((spec, order) => ({ spec, order }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.order - b.order)
      .map(({ spec }) => spec);
  }
}

// Fault tests restart RabbitMQ and kill processes: they run alone, in the `faults` target.
// The e2e files mostly wait (on containers, timers, child processes), each on its own ports, database
// and vhost, so three run at once (vitest's default, CPUs - 1, is one on a 2-core machine); the
// longer timeouts bound waits that take longer with files side by side, and return when done.
export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      exclude: ['test/faults/**', 'node_modules/**'],
      maxWorkers: 3,
      testTimeout: 60_000,
      hookTimeout: 120_000,
      sequence: { sequencer: LongestFirst },
    },
  }),
);
