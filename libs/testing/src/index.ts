export * from './services.js';
export * from './broker.contract.js';
export * from './datastore.contract.js';
export * from './fixtures.js';
export * from './postgres.js';
export * from './wait.js';
export * from './tork-process.js';
export * from './cluster.js';
