/**
 * Why a runtime could not run a container. The kind decides what happens to the task, in one place
 * (the worker's failure mapping):
 * - `image`: the image could not be pulled or is missing: the task fails with kind `image`;
 * - `rejected`: the runtime or the worker's policy refuses the spec (a field it cannot honour, no
 *   GPU, a bind it does not allow): the task fails with kind `rejected` and is never retried;
 * - `runtime`: the engine could not be reached or answered 5xx: not the task's fault, the worker
 *   hands the task back and reports itself unhealthy until the engine answers again;
 * - `timeout`: a part of the task did not become ready in its time (a sidecar's probe): the task's
 *   own doing, it fails with kind `timeout` and may be retried.
 */
export type RuntimeErrorKind = 'image' | 'rejected' | 'runtime' | 'timeout';

export class RuntimeError extends Error {
  override readonly name: string = 'RuntimeError';

  constructor(
    readonly kind: RuntimeErrorKind,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isRuntimeError(error: unknown): error is RuntimeError {
  return error instanceof RuntimeError;
}
