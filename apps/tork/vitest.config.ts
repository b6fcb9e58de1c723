import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.js';

// Fault tests restart RabbitMQ and kill processes: they run alone, in the `faults` target.
export default mergeConfig(
  sharedTestConfig,
  defineConfig({ test: { exclude: ['test/faults/**', 'node_modules/**'] } }),
);
