export * from './effects.js';
export * from './executions.js';
export * from './reducer.js';
export * from './reports.js';
export * from './resolve-task.js';
export * from './restart.js';
export * from './seal-secrets.js';
export * from './templates.js';
