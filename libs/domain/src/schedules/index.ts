export * from './schedule-ticks.js';
export * from './scheduled-job.js';
