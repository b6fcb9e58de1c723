import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatSseEvent } from './sse-format.js';

/** A comment line every so often keeps proxies and load balancers from closing an idle stream. */
export const KEEP_ALIVE_MS = 15_000;

/**
 * One Server-Sent Events response, written on the raw socket: the reply is hijacked, so neither the
 * serializer nor the request timeout (which bounds receiving a request) touches it.
 */
export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  private ended = false;
  /** Resolves when the client went away or the stream ended. */
  readonly closed: Promise<void>;

  constructor(request: FastifyRequest, reply: FastifyReply, keepAliveMs = KEEP_ALIVE_MS) {
    reply.hijack();
    const raw = reply.raw;
    // Headers set by hooks (CORS) are kept; hijacking skips Fastify's own sending of them.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value);
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to.
      'x-accel-buffering': 'no',
    });
    request.raw.socket.setTimeout(0);
    raw.write(': stream open\n\n');
    this.keepAlive = setInterval(() => {
      if (!this.ended) raw.write(': keep-alive\n\n');
    }, keepAliveMs);
    this.closed = new Promise<void>((resolve) => {
      raw.once('close', () => {
        this.ended = true;
        clearInterval(this.keepAlive);
        resolve();
      });
    });
    this.raw = raw;
  }

  private readonly raw: FastifyReply['raw'];

  get isOpen(): boolean {
    return !this.ended;
  }

  /** Writes one event; `data` is sent as one line of JSON. */
  send(event: string, id: string | number | undefined, data: unknown): void {
    if (this.ended) return;
    this.raw.write(formatSseEvent(event, id, data));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepAlive);
    this.raw.end();
  }
}
