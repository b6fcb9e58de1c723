import { isTorkError, type ErrorCode, type Problem } from '@tork/domain';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { unsupportedMediaType } from './media-types.js';
import type { ErrorBody } from './schemas.js';

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

/** Maps any thrown value to a status and a JSON body; never exposes stacks or unexpected messages. */
export function toErrorReply(error: unknown, context: ErrorContext): ErrorReply {
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
