import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.js';

/** The distributed fault tests: one file at a time, nothing else running beside them. */
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
