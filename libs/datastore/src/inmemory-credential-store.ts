import { TorkError, type ApiKeyRecord, type CredentialStore, type UserRecord } from '@tork/domain';

/** API keys and users within one process: the in-memory datastore's `credentials`. */
export class InMemoryCredentialStore implements CredentialStore {
  private readonly keys = new Map<string, ApiKeyRecord>();
  private readonly users = new Map<string, UserRecord>();

  /** `run` is the datastore's: it rejects once the datastore is closed. */
  constructor(private readonly run: <T>(operation: () => T) => Promise<T>) {}

  createApiKey(key: ApiKeyRecord): Promise<void> {
    return this.run(() => {
      if ([...this.keys.values()].some((stored) => stored.name === key.name))
        throw new TorkError('CONFLICT', `an API key named "${key.name}" already exists`);
      if (this.keys.has(key.id)) throw new TorkError('CONFLICT', `API key ${key.id} already exists`);
      this.keys.set(key.id, { ...key });
    });
  }

  getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    return this.run(() => copy(this.keys.get(id)));
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.run(() =>
      [...this.keys.values()]
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
        .map((key) => ({ ...key })),
    );
  }

  deleteApiKey(id: string): Promise<boolean> {
    return this.run(() => this.keys.delete(id));
  }

  createUser(user: UserRecord): Promise<void> {
    return this.run(() => {
      if (this.users.has(user.username))
        throw new TorkError('CONFLICT', `a user named "${user.username}" already exists`);
      this.users.set(user.username, { ...user });
    });
  }

  getUser(username: string): Promise<UserRecord | undefined> {
    return this.run(() => copy(this.users.get(username)));
  }

  existingNames(names: readonly string[]): Promise<string[]> {
    return this.run(() => {
      const keyNames = new Set([...this.keys.values()].map((key) => key.name));
      return [...new Set(names)].filter((name) => this.users.has(name) || keyNames.has(name));
    });
  }

  hasCredentials(): Promise<boolean> {
    return this.run(() => this.keys.size > 0 || this.users.size > 0);
  }
}

function copy<T extends object>(record: T | undefined): T | undefined {
  return record === undefined ? undefined : { ...record };
}
