export { DEFAULT_PIDS_LIMIT, DROPPED_CAPABILITIES } from './container-spec.js';
export { DockerRuntime } from './docker-runtime.js';
export type { DockerRuntimeOptions, PullPolicy } from './docker-runtime.js';
export { NoopRuntime } from './noop-runtime.js';
export { ShellRuntime } from './shell-runtime.js';
export type { ShellRuntimeOptions } from './shell-runtime.js';
export { SidecarNotReadyError } from './sidecars.js';
export { TracingRuntime } from './tracing-runtime.js';
