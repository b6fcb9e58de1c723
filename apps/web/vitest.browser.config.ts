import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.js';

// Chromium against a standalone engine the tests start: one file at a time, the machine is small.
export default defineConfig({
  resolve: sharedTestConfig.resolve,
  test: {
    include: ['test/**/*.browser.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
