import { useSyncExternalStore } from 'react';

const STORAGE_KEY = 'tork.apiKey';

interface CredentialState {
  /** Set when the API answered 401: why, as it said. */
  readonly required: string | undefined;
}

/**
 * The API key of this browser session (sessionStorage: gone when the tab closes), and whether the
 * API asked for one. Any 401 forgets the key and raises the prompt.
 */
class Credentials {
  private state: CredentialState = { required: undefined };
  private readonly listeners = new Set<() => void>();

  key(): string | undefined {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  }

  /** Keeps the key for the session and lowers the prompt. */
  use(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
    this.set({ required: undefined });
  }

  forget(): void {
    sessionStorage.removeItem(STORAGE_KEY);
  }

  require(reason: string): void {
    this.forget();
    if (this.state.required !== reason) this.set({ required: reason });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly snapshot = (): CredentialState => this.state;

  private set(state: CredentialState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}

export const credentials = new Credentials();

export function useCredentialState(): CredentialState {
  return useSyncExternalStore(credentials.subscribe, credentials.snapshot);
}
