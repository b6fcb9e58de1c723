import { createHash, timingSafeEqual } from 'node:crypto';
import type { CredentialStore, Principal } from '@tork/domain';
import { apiKeyId } from './api-key.js';
import { UNMATCHABLE_HASH, verifySecret } from './secret-hash.js';
import { VerificationCache } from './verification-cache.js';

export interface AuthenticatorOptions {
  readonly store: CredentialStore;
  /** Admin keys from the configuration (-api-key, TORK_API_KEYS, TORK_API_KEYS_FILE). */
  readonly staticKeys: readonly string[];
  /** How long a verified credential is trusted without checking it again (default 30 s). */
  readonly cacheTtlMs?: number;
  readonly cacheSize?: number;
  readonly now?: () => number;
}

const DEFAULT_CACHE_TTL_MS = 30_000;
const DEFAULT_CACHE_SIZE = 1_000;

/**
 * Turns an `Authorization` header into a principal: `Bearer KEY` (a configured admin key or a
 * stored one) or `Basic` (a stored user). Undefined for anything else; callers never learn which
 * part was wrong.
 */
export class Authenticator {
  private readonly staticDigests: readonly Buffer[];
  private readonly cache: VerificationCache;
  /** Keys revoked on this replica: a verification that raced the revocation is not cached. */
  private readonly revoked = new Set<string>();

  constructor(private readonly options: AuthenticatorOptions) {
    this.staticDigests = options.staticKeys.map((key) => sha256(key));
    this.cache = new VerificationCache(
      options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS,
      options.cacheSize ?? DEFAULT_CACHE_SIZE,
      options.now ?? Date.now,
    );
  }

  async authenticate(header: string): Promise<Principal | undefined> {
    const digest = sha256(header.trim());
    const key = digest.toString('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const bearer = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (bearer !== undefined) return this.apiKey(bearer, key);
    const basic = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)?.[1];
    if (basic !== undefined) return this.user(Buffer.from(basic, 'base64').toString('utf8'), key);
    return undefined;
  }

  /** Drops the cached verifications of a key revoked on this replica. */
  forgetApiKey(id: string): void {
    this.revoked.add(id);
    this.cache.forgetApiKey(id);
  }

  private async apiKey(token: string, cacheKey: string): Promise<Principal | undefined> {
    const position = this.staticKeyPosition(token);
    if (position !== undefined) {
      const principal: Principal = { kind: 'key', name: `static-key:${position}`, role: 'admin' };
      this.cache.set(cacheKey, principal);
      return principal;
    }
    const id = apiKeyId(token);
    if (id === undefined) return undefined;
    const record = await this.options.store.getApiKey(id);
    if (record === undefined || !(await verifySecret(token, record.keyHash))) return undefined;
    const principal: Principal = { kind: 'key', name: record.name, role: record.role };
    if (!this.revoked.has(id)) this.cache.set(cacheKey, principal, id);
    return principal;
  }

  /** 1-based position of a configured key; every one is compared, in constant time. */
  private staticKeyPosition(token: string): number | undefined {
    const digest = sha256(token);
    let found: number | undefined;
    this.staticDigests.forEach((candidate, index) => {
      if (timingSafeEqual(digest, candidate)) found = index + 1;
    });
    return found;
  }

  private async user(credentials: string, cacheKey: string): Promise<Principal | undefined> {
    const colon = credentials.indexOf(':');
    if (colon <= 0) return undefined;
    const username = credentials.slice(0, colon);
    const password = credentials.slice(colon + 1);
    const record = await this.options.store.getUser(username);
    // An unknown user costs the same scrypt as a wrong password: the time taken tells nothing.
    const matches = await verifySecret(password, record?.passwordHash ?? UNMATCHABLE_HASH);
    if (record === undefined || !matches) return undefined;
    const principal: Principal = { kind: 'user', name: record.username, role: record.role };
    this.cache.set(cacheKey, principal);
    return principal;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
