import type { ErrorBody } from '@tork/coordinator-api/types';
import { credentials } from './credentials.js';

/** An answer other than 2xx: its status and the API's error body (with every problem and its path for a 400). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
  ) {
    super(body?.error ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/**
 * Calls the API on this origin with the session's key, if any, and parses its JSON answer. A 401
 * forgets the key and asks for one (see credentials) before it is thrown as an ApiError.
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = credentials.key();
  if (key !== undefined) headers['authorization'] = `Bearer ${key}`;
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const text = await response.text();
  const body: unknown = text === '' ? undefined : parseJson(text);
  if (response.status === 401) credentials.require(errorBody(body)?.error ?? 'authentication required');
  if (!response.ok) throw new ApiError(response.status, errorBody(body));
  return body as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorBody(body: unknown): ErrorBody | undefined {
  return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string'
    ? (body as ErrorBody)
    : undefined;
}
