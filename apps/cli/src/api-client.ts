import { SseParser, type SseEvent } from '@tork/coordinator-api/sse';
import { CliError, EXIT, exitCodeOfStatus, type Problem } from './exit-codes.js';

export const DEFAULT_ENDPOINT = 'http://localhost:3000';

export interface ClientSettings {
  /** The API's base URL: --endpoint, else TORK_ENDPOINT, else {@link DEFAULT_ENDPOINT}. */
  readonly endpoint: string;
  /** TORK_API_KEY, sent as `Authorization: Bearer KEY`. */
  readonly apiKey?: string;
}

/** An answer of the API other than 2xx. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    problems: readonly Problem[],
  ) {
    super(message, exitCodeOfStatus(status), problems);
  }
}

export interface RequestBody {
  readonly text: string;
  readonly contentType: string;
}

/** The REST API over fetch; every failure becomes a {@link CliError} that decides the exit status. */
export class ApiClient {
  private readonly base: string;

  constructor(private readonly settings: ClientSettings) {
    this.base = settings.endpoint.replace(/\/+$/, '');
  }

  get endpoint(): string {
    return this.base;
  }

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async request<T>(method: string, path: string, body?: RequestBody): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': body.contentType }),
      ...(body === undefined ? {} : { body: body.text }),
    });
    const text = await response.text();
    if (!response.ok) throw errorOf(response.status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Reads a Server-Sent Events route until it ends, the server closes it, or `signal` aborts. */
  async *stream(path: string, signal?: AbortSignal): AsyncGenerator<SseEvent> {
    let response: Response;
    try {
      response = await this.fetch(path, {
        headers: this.headers({ accept: 'text/event-stream' }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (signal?.aborted === true) return;
      throw error;
    }
    if (!response.ok) throw errorOf(response.status, await response.text());
    if (response.body === null) return;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const event of parser.push(decoder.decode(value, { stream: true }))) yield event;
      }
    } catch (error) {
      if (signal?.aborted === true) return;
      throw unreachable(this.base, error);
    } finally {
      reader.releaseLock();
    }
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const key = this.settings.apiKey;
    return { ...extra, ...(key === undefined || key === '' ? {} : { authorization: `Bearer ${key}` }) };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, init);
    } catch (error) {
      throw unreachable(this.base, error);
    }
  }
}

function unreachable(endpoint: string, error: unknown): CliError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CliError(`cannot reach the API at ${endpoint}: ${reason}`, EXIT.unavailable);
}

/** The API's error body (`{error, problems?}`) as a CliError; any other body is quoted, cut short. */
export function errorOf(status: number, text: string): ApiError {
  let message = text.trim().slice(0, 200);
  let problems: Problem[] = [];
  try {
    const body = JSON.parse(text) as { error?: unknown; problems?: unknown };
    if (typeof body.error === 'string') message = body.error;
    if (Array.isArray(body.problems)) problems = body.problems.filter(isProblem);
  } catch {
    // Not JSON (a proxy's page): the text itself says what happened.
  }
  // The problems are listed one a line below; the message's head says what was refused.
  if (problems.length > 0) message = message.split(': ')[0] ?? message;
  return new ApiError(`HTTP ${status}: ${message === '' ? 'no message' : message}`, status, problems);
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const { path, message } = value as Record<string, unknown>;
  return typeof path === 'string' && typeof message === 'string';
}
