export * from './address-check.js';
export * from './backoff.js';
export * from './matching.js';
export * from './signature.js';
export * from './summary.js';
export * from './webhook.js';
export * from './webhook-secrets.js';
