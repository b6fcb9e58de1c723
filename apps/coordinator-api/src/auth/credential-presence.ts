import type { CredentialStore } from '@tork/domain';

export interface CredentialPresenceOptions {
  readonly store: CredentialStore;
  /** Admin keys from the configuration: with any, credentials always exist. */
  readonly staticKeys: boolean;
  /** How long a stored answer is trusted before asking the store again (default 5 s). */
  readonly refreshMs?: number;
  readonly now?: () => number;
}

const DEFAULT_REFRESH_MS = 5_000;

/**
 * Whether any credential exists, asked on every request without a credential, so answered from
 * memory: updated when this replica creates or deletes one, refreshed every few seconds for what
 * other replicas did. When the store cannot answer, the last answer stands; with none yet, the
 * request fails with the store's error.
 */
export class CredentialPresence {
  private known: boolean | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CredentialPresenceOptions) {
    this.refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.now = options.now ?? Date.now;
  }

  async exists(): Promise<boolean> {
    if (this.options.staticKeys) return true;
    if (this.known === undefined || this.now() - this.checkedAt >= this.refreshMs) {
      this.pending ??= this.refresh().finally(() => {
        this.pending = undefined;
      });
      try {
        await this.pending;
      } catch (error) {
        if (this.known === undefined) throw error;
      }
    }
    return this.known ?? true;
  }

  created(): void {
    this.known = true;
    this.checkedAt = this.now();
  }

  /** After a deletion the store is asked again: was it the last one? */
  deleted(): void {
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private async refresh(): Promise<void> {
    this.known = await this.options.store.hasCredentials();
    this.checkedAt = this.now();
  }
}
