import type { Principal } from '@tork/domain';

interface Entry {
  readonly principal: Principal;
  readonly expiresAt: number;
  /** The stored API key it was verified against, so that revoking the key drops it. */
  readonly apiKeyId?: string;
}

/**
 * Recently verified credentials, so that scrypt does not run on every request: at most `maxEntries`
 * (least recently used dropped first), each for `ttlMs`. Keyed by a digest of the credential, never
 * the credential itself.
 */
export class VerificationCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(digest: string): Principal | undefined {
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    this.entries.delete(digest);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(digest, entry);
    return entry.principal;
  }

  set(digest: string, principal: Principal, apiKeyId?: string): void {
    this.entries.delete(digest);
    this.entries.set(digest, {
      principal,
      expiresAt: this.now() + this.ttlMs,
      ...(apiKeyId === undefined ? {} : { apiKeyId }),
    });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  forgetApiKey(id: string): void {
    for (const [digest, entry] of this.entries) if (entry.apiKeyId === id) this.entries.delete(digest);
  }
}
