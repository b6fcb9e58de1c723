import { RuntimeError } from '@tork/domain';

/**
 * The one mapping from what dockerode and the engine throw to a {@link RuntimeError} kind: the kind
 * decides whether the task fails (`image`, `rejected`) or goes back to the queue (`runtime`).
 */
export function toRuntimeError(error: unknown, subject: string): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const message = `${subject}: ${engineMessage(error)}`;
  return new RuntimeError(errorKind(error), message, { cause: error });
}

function errorKind(error: unknown): RuntimeError['kind'] {
  if (isConnectionError(error)) return 'runtime';
  const status = statusCodeOf(error);
  const text = engineMessage(error);
  if (status === undefined) return 'runtime';
  if (IMAGE_MISSING.test(text)) return 'image';
  if (status >= 500) return REFUSED_REQUEST.some((pattern) => pattern.test(text)) ? 'rejected' : 'runtime';
  // A container removed under a run (another worker cleaning up) is the engine's doing, not the task's.
  if (status === 404 && CONTAINER_GONE.test(text)) return 'runtime';
  return 'rejected';
}

const IMAGE_MISSING = /^No such image|pull access denied|manifest unknown|repository does not exist/i;
const CONTAINER_GONE = /^No such container/i;

/** 5xx answers that say this request can never be honoured here, however often it is retried. */
const REFUSED_REQUEST: readonly RegExp[] = [
  /could not select device driver/i,
  /invalid mount config/i,
  /network \S+ not found/i,
  /invalid (?:argument|reference format|volume specification|tmpfs)/i,
  /bind source path does not exist/i,
  /unknown capability/i,
  /not a directory/i,
];

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** The engine was not reached at all (an errno from the socket, not an HTTP answer). */
export function isConnectionError(error: unknown): boolean {
  return isRecord(error) && typeof error['code'] === 'string' && CONNECTION_ERRORS.has(error['code']);
}

export function statusCodeOf(error: unknown): number | undefined {
  return isRecord(error) && typeof error['statusCode'] === 'number' ? error['statusCode'] : undefined;
}

/** dockerode wraps the engine's own words in `json.message`; prefer them over the HTTP summary. */
export function engineMessage(error: unknown): string {
  if (isRecord(error)) {
    const json = error['json'];
    if (isRecord(json) && typeof json['message'] === 'string') return json['message'].trim();
    if (typeof json === 'string' && json.trim() !== '') return json.trim();
  }
  // Without a JSON body dockerode prefixes the engine's text with its own HTTP summary.
  if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return String(error);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
