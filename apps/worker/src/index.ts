export { startWorker, type RunningWorker, type WorkerDeps, type WorkerOptions } from './worker.js';
export { runTask, effectiveLimits, TaskAbort, type DefaultLimits, type TaskOutcome } from './task-runner.js';
export { DEFAULT_LOG_OPTIONS, type LogShipperOptions } from './log-shipper.js';
