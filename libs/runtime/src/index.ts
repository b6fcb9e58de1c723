export { DockerRuntime } from './docker-runtime.js';
export type { DockerRuntimeOptions, PullPolicy } from './docker-runtime.js';
export { NoopRuntime } from './noop-runtime.js';
export { SidecarNotReadyError } from './sidecars.js';
