import {
  isTorkError,
  MAX_PROBLEM_TEXT,
  MAX_PROBLEMS,
  truncateText,
  type ErrorCode,
  type Problem,
} from '@tork/domain';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { unsupportedMediaType } from './media-types.js';
import type { ErrorBody } from './schemas/common.schemas.js';

/** The one place where errors become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  // The seed answers 400 to cancelling a task that is not running.
  INVALID_STATE: 400,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface ErrorReply {
  readonly statusCode: number;
  readonly body: ErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The schemes a 401 offers (RFC 9110): a browser asks for a user and password on `Basic`. */
export const AUTHENTICATE_CHALLENGE = 'Bearer realm="tork", Basic realm="tork"';

export interface ErrorContext {
  readonly contentType: string | undefined;
  readonly bodyLimit: number;
}

/** No error body is larger than this, whatever the input quoted in it. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Maps any thrown value to a status and a JSON body under {@link MAX_ERROR_BODY_BYTES}; never exposes stacks or unexpected messages. */
export function toErrorReply(error: unknown, context: ErrorContext): ErrorReply {
  const reply = describeError(error, context);
  return { ...reply, body: boundErrorBody(reply.body) };
}

/**
 * The body itself when it is small enough, else its message cut short and as many of its
 * problems as fit, then one that counts the rest.
 */
export function boundErrorBody(body: ErrorBody): ErrorBody {
  if (byteLength(body) <= MAX_ERROR_BODY_BYTES) return body;
  const error = truncateText(body.error, 1024);
  if (body.problems === undefined) return { error };
  const counted = countProblems(body.problems);
  const total = counted.total;
  const listed = counted.listed.slice(0, MAX_PROBLEMS).map((problem) => ({
    path: truncateText(problem.path, MAX_PROBLEM_TEXT),
    message: truncateText(problem.message, MAX_PROBLEM_TEXT),
  }));
  // Each kept problem is at most 2 × 256 characters, so few rounds are needed.
  for (let kept = listed.length; kept > 0; kept--) {
    const candidate = { error, problems: withRestCounted(listed.slice(0, kept), total) };
    if (byteLength(candidate) <= MAX_ERROR_BODY_BYTES) return candidate;
  }
  return { error, problems: withRestCounted([], total) };
}

const MORE = /^and (\d+) more problems$/;

/** The problems listed, and how many there were in all (a last "and N more problems" counts N). */
function countProblems(problems: readonly Problem[]): { listed: Problem[]; total: number } {
  const last = problems.at(-1);
  const more = last?.path === 'body' ? MORE.exec(last.message) : null;
  if (more === null) return { listed: [...problems], total: problems.length };
  const listed = problems.slice(0, -1);
  return { listed, total: listed.length + Number(more[1]) };
}

function withRestCounted(listed: readonly Problem[], total: number): Problem[] {
  const rest = total - listed.length;
  return rest > 0 ? [...listed, { path: 'body', message: `and ${rest} more problems` }] : [...listed];
}

function byteLength(body: ErrorBody): number {
  return Buffer.byteLength(JSON.stringify(body));
}

function describeError(error: unknown, context: ErrorContext): ErrorReply {
  if (isTorkError(error)) {
    const problems = error.problems.length > 0 ? { problems: [...error.problems] } : {};
    const challenge =
      error.code === 'UNAUTHENTICATED' ? { headers: { 'www-authenticate': AUTHENTICATE_CHALLENGE } } : {};
    return { statusCode: STATUS[error.code], body: { error: error.message, ...problems }, ...challenge };
  }
  if (!isFastifyError(error)) return internal();
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, body: { error: `request body is larger than ${context.bodyLimit} bytes` } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { statusCode: 415, body: { error: unsupportedMediaType(context.contentType).message } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalid('request body is empty', [{ path: 'body', message: 'required' }]);
    default:
      break;
  }
  if (error.validation !== undefined) {
    const problems = error.validation.map((item) => validationProblem(item));
    const where =
      error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'request');
    return invalid(
      `invalid ${where}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      problems,
    );
  }
  const statusCode = error.statusCode ?? 500;
  if (statusCode >= 400 && statusCode < 500) return { statusCode, body: { error: error.message } };
  return internal();
}

/** Installs the error and not-found handlers on the root instance; every error body is `{ "error": "..." }`. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const {
      statusCode,
      body,
      headers = {},
    } = toErrorReply(error, {
      contentType: request.headers['content-type'],
      bodyLimit: request.routeOptions.bodyLimit,
    });
    if (statusCode >= 500)
      request.log.error({ err: error }, `${request.method} ${routePath(request)} failed`);
    return reply.status(statusCode).headers(headers).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send({ error: `route ${request.method} ${routePath(request)} not found` });
  });
}

function validationProblem(item: NonNullable<FastifyError['validation']>[number]): Problem {
  const base = item.instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .join('.');
  const missing = item.keyword === 'required' ? item.params['missingProperty'] : undefined;
  if (typeof missing === 'string')
    return { path: base === '' ? missing : `${base}.${missing}`, message: 'required' };
  return { path: base === '' ? 'body' : base, message: item.message ?? 'invalid' };
}

function invalid(message: string, problems: Problem[]): ErrorReply {
  return { statusCode: 400, body: { error: message, problems } };
}

function internal(): ErrorReply {
  return { statusCode: 500, body: { error: 'internal server error' } };
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string';
}

function routePath(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}
