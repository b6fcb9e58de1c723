import { defineConfig } from 'vitest/config';

// Unit tests of the pure parts (no DOM): the browser tests have their own config.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], reporters: ['default'] },
});
