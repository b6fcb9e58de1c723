import { ANONYMOUS_ADMIN, isLoopbackHost, TorkError, type Principal } from '@tork/domain';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Authenticator } from './authenticator.js';
import type { StreamTokens } from '../streams/stream-tokens.js';
import type { CredentialPresence } from './credential-presence.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who makes the request; set before any handler runs. */
    principal: Principal;
  }
}

export interface AuthPluginOptions {
  readonly authenticator: Authenticator;
  readonly presence: CredentialPresence;
  /**
   * Who is the anonymous admin while no credential exists: `loopback`, a caller whose Host header
   * names this machine (a web page whose DNS name was rebound to 127.0.0.1 does not); `any`, any
   * caller (-insecure); `never`, no one (a public address: deleting the last key never opens it).
   */
  readonly anonymous: AnonymousAccess;
  /** More routes open to everyone, e.g. `/metrics` for a Prometheus without a key (-metrics-public). */
  readonly openRoutes?: readonly string[];
  /** Verifies `?access_token=` on the routes that accept a stream token (config `acceptsStreamToken`). */
  readonly streamTokens?: StreamTokens;
}

export type AnonymousAccess = 'loopback' | 'any' | 'never';

/** A caller of the routes that hold no data (health, the dashboard's files): never authenticated. */
const VISITOR: Principal = { kind: 'anonymous', name: 'anonymous', role: 'user' };

/** Routes open to everyone: probes and the dashboard's static files. */
function isOpenRoute(url: string | undefined): boolean {
  if (url === undefined) return false;
  return (
    url === '/health' ||
    url === '/health/ready' ||
    url === '/health/live' ||
    url === '/ui' ||
    url.startsWith('/ui/')
  );
}

/**
 * Sets `request.principal` on every request, before its body is read: from the `Authorization`
 * header, or the anonymous admin while no credential exists (see AnonymousAccess). Otherwise, and
 * for a wrong credential, 401. Open routes are told by the matched route's pattern, never by the
 * raw URL, so no spelling of a path opens another route.
 */
function auth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const url = request.routeOptions.url;
    if (isOpenRoute(url) || (url !== undefined && options.openRoutes?.includes(url) === true)) {
      request.principal = VISITOR;
      return;
    }
    const token = streamToken(request);
    if (token !== undefined && options.streamTokens !== undefined) {
      const principal = options.streamTokens.verify(token);
      if (principal === undefined) throw new TorkError('UNAUTHENTICATED', 'invalid or expired stream token');
      request.principal = principal;
      return;
    }
    const header = request.headers.authorization;
    if (header !== undefined) {
      const principal = await options.authenticator.authenticate(header);
      if (principal === undefined) throw new TorkError('UNAUTHENTICATED', 'invalid credentials');
      request.principal = principal;
      return;
    }
    if (options.anonymous !== 'never' && !(await options.presence.exists())) {
      if (options.anonymous === 'loopback' && !isLoopbackHost(request.hostname))
        throw new TorkError(
          'FORBIDDEN',
          `without a credential only requests to localhost are served, not to "${request.hostname}"`,
        );
      request.principal = ANONYMOUS_ADMIN;
      return;
    }
    throw new TorkError(
      'UNAUTHENTICATED',
      'authentication required: send "Authorization: Bearer <API key>" or HTTP basic auth',
    );
  });
  return Promise.resolve();
}

// Not encapsulated (what fastify-plugin does): the hook covers every route of the API.
/** A stream token in the query, on the routes that take one only: elsewhere it is ignored. */
function streamToken(request: FastifyRequest): string | undefined {
  if (request.routeOptions.config.acceptsStreamToken !== true) return undefined;
  const value = (request.query as Record<string, unknown> | undefined)?.['access_token'];
  return typeof value === 'string' ? value : undefined;
}

Object.defineProperty(auth, Symbol.for('skip-override'), { value: true });

export const authPlugin: FastifyPluginAsync<AuthPluginOptions> = auth;
