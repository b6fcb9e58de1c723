import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PRINCIPAL_KINDS, ROLES, type Principal } from '@tork/domain';

/** How long a stream token is accepted after it was minted. */
export const STREAM_TOKEN_TTL_MS = 60_000;

/**
 * Short-lived tokens for clients that cannot send headers (a browser's EventSource): minted by
 * `POST /streams/token` for the caller, accepted only as `?access_token=` on the stream routes.
 * A token names its principal and expiry, signed with HMAC-SHA256; the API key itself never goes
 * into a URL (and so into proxy and access logs). Every API replica must share the secret.
 */
export class StreamTokens {
  private readonly secret: Buffer;

  constructor(
    secret: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    // Without a configured secret, tokens work on the replica that minted them only.
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  mint(principal: Principal): { token: string; expiresAt: string } {
    const exp = this.now() + STREAM_TOKEN_TTL_MS;
    const body = Buffer.from(
      JSON.stringify({ k: principal.kind, n: principal.name, r: principal.role, exp }),
    ).toString('base64url');
    return { token: `${body}.${this.sign(body)}`, expiresAt: new Date(exp).toISOString() };
  }

  /** The principal a valid, unexpired token names; undefined otherwise. */
  verify(token: string): Principal | undefined {
    const [body, signature, extra] = token.split('.');
    if (body === undefined || signature === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof claims['exp'] !== 'number' || claims['exp'] < this.now()) return undefined;
      const { k, n, r } = claims;
      const kind = PRINCIPAL_KINDS.find((known) => known === k);
      const role = ROLES.find((known) => known === r);
      if (kind === undefined || role === undefined || typeof n !== 'string') return undefined;
      return { kind, name: n, role };
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
