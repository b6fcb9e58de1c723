import { createHash } from 'node:crypto';
import fastifyRateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The routes that create work; reads stay unlimited, since clients poll them. */
const LIMITED_ROUTES = new Set(['POST /job', 'POST /jobs']);

/**
 * At most `perSecond` job submissions per second per credential (a hash of the Authorization header),
 * else per client address; 429 with Retry-After beyond. Register before the routes it limits.
 * With credentials configured, the auth hook (an app-level onRequest hook, which runs before this
 * route-level one) has already refused unknown ones, so a made-up header buys no bucket of its own.
 */
export async function registerRateLimit(app: FastifyInstance, perSecond: number): Promise<void> {
  if (perSecond <= 0) return;
  await app.register(fastifyRateLimit, {
    global: true,
    max: perSecond,
    timeWindow: 1000,
    allowList: (request) => !LIMITED_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`),
    keyGenerator: clientKey,
    store: WindowStore,
    errorResponseBuilder: (_request, context) =>
      // A client error in Fastify's shape: the error handler answers it as `{"error": ...}`.
      Object.assign(
        new Error(`too many job submissions: at most ${context.max} per second; retry in ${context.after}`),
        { code: 'FST_ERR_RATE_LIMITED', statusCode: context.statusCode },
      ),
  });
}

function clientKey(request: FastifyRequest): string {
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '') return `address:${request.ip}`;
  return `credential:${createHash('sha256').update(authorization).digest('base64url')}`;
}

/** Clients remembered at most; past it, finished windows go first, then the oldest. */
const MAX_CLIENTS = 10_000;

/**
 * Fixed one-window-per-key counting, answering each caller with a snapshot of its own. The plugin's
 * LocalStore hands every caller the same record, read after the await: a burst of requests in one
 * turn all see the final count, and a burst just over the limit is refused whole.
 */
class WindowStore implements FastifyRateLimitStore {
  private readonly windows = new Map<string, { count: number; startedAt: number }>();

  incr(
    key: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
  ): void {
    const now = Date.now();
    let window = this.windows.get(key);
    if (window === undefined || window.startedAt + timeWindow <= now) {
      window = { count: 0, startedAt: now };
      this.windows.delete(key);
      this.forgetSome(now, timeWindow);
      this.windows.set(key, window);
    }
    window.count += 1;
    callback(null, { current: window.count, ttl: window.startedAt + timeWindow - now });
  }

  child(): FastifyRateLimitStore {
    return new WindowStore();
  }

  private forgetSome(now: number, timeWindow: number): void {
    if (this.windows.size < MAX_CLIENTS) return;
    for (const [key, window] of this.windows) {
      if (window.startedAt + timeWindow <= now) this.windows.delete(key);
    }
    // Insertion order is the order windows began: the first is the oldest.
    for (const key of this.windows.keys()) {
      if (this.windows.size < MAX_CLIENTS) break;
      this.windows.delete(key);
    }
  }
}
