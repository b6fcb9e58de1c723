export {
  startScheduler,
  type RunningScheduler,
  type SchedulerDeps,
  type SchedulerOptions,
} from './scheduler.js';
export { DEFAULT_SWEEP_OPTIONS, type SweepOptions } from './sweeper.js';
export type { SchedulerContext } from './scheduler-context.js';
