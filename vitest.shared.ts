import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Shared test settings: every project resolves @tork/* to sources, so tests never need a build. */
export const sharedTestConfig = defineConfig({
  resolve: {
    alias: {
      '@tork/domain': root('./libs/domain/src/index.ts'),
      '@tork/broker': root('./libs/broker/src/index.ts'),
      '@tork/datastore': root('./libs/datastore/src/index.ts'),
      '@tork/runtime': root('./libs/runtime/src/index.ts'),
      '@tork/testing': root('./libs/testing/src/index.ts'),
      // A subpath before its package: an alias matches a prefix, and the first match wins.
      '@tork/coordinator-api/sse': root('./apps/coordinator-api/src/streams/sse-format.ts'),
      '@tork/coordinator-api': root('./apps/coordinator-api/src/index.ts'),
      '@tork/scheduler': root('./apps/scheduler/src/index.ts'),
      '@tork/worker': root('./apps/worker/src/index.ts'),
      '@tork/migrator': root('./apps/migrator/src/index.ts'),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
