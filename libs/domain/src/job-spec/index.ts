export { decodeSpecText, type JobSpecFormat } from './decode.js';
export { parseJobSpec, parseJobSpecText } from './parse.js';
export type { JobSpecPolicy } from './policy.js';
export { checkQueueName } from './validate-queue.js';
