export { startScheduler, type RunningScheduler, type SchedulerOptions } from './scheduler.js';
export type { SchedulerContext } from './scheduler-context.js';
