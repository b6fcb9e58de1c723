import type { Sizes } from './scenarios.js';

/** Test support: a run of `jobs` one-task jobs at the bench's concurrency, every other scenario at its smallest. */
export function smallSizes(jobs: number): Sizes {
  return {
    jobs,
    docker: 1,
    longJob: 1,
    concurrency: 16,
    dockerConcurrency: 1,
    eachItems: 1,
    parallelTasks: 1,
    logLines: 1,
  };
}
