import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.js';

const cluster = fileURLToPath(new URL('../../libs/testing/src/cluster.ts', import.meta.url));
const shared = sharedTestConfig.resolve?.alias ?? {};

// The bench imports the cluster helpers by their subpath: it must match before `@tork/testing`.
export default defineConfig({
  ...sharedTestConfig,
  resolve: {
    alias: [
      { find: '@tork/testing/cluster', replacement: cluster },
      ...Object.entries(shared).map(([find, replacement]) => ({ find, replacement: String(replacement) })),
    ],
  },
});
