import type { Role } from '../principal.js';

/** An API key created through the API. Only a hash of the key is kept; the key itself never is. */
export interface ApiKeyRecord {
  /** 32 lowercase hex digits; part of the key, so that a request names the row to check. */
  readonly id: string;
  /** Unique among keys and users: the name permissions refer to. */
  readonly name: string;
  readonly role: Role;
  /** A salted, slow hash of the key (see the API's secret-hash.ts). */
  readonly keyHash: string;
  readonly createdAt: string;
}

/** A user who signs in with a password (HTTP basic auth). */
export interface UserRecord {
  /** Unique among keys and users. */
  readonly username: string;
  /** A display name. */
  readonly name?: string;
  readonly role: Role;
  /** A salted, slow hash of the password. */
  readonly passwordHash: string;
  readonly createdAt: string;
}

/**
 * Keeps API keys and users: the datastore's `credentials` repository. Adapters: the in-memory and
 * the PostgreSQL datastore; both pass the credential contract suite. Stores hashes as given: hashing
 * is the caller's.
 */
export interface CredentialStore {
  /** Stores a key; CONFLICT when a key with its name exists. */
  createApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** Oldest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Removes a key; whether there was one. */
  deleteApiKey(id: string): Promise<boolean>;

  /** Stores a user; CONFLICT when a user with its username exists. */
  createUser(user: UserRecord): Promise<void>;
  getUser(username: string): Promise<UserRecord | undefined>;

  /** Which of `names` name a stored key or user. */
  existingNames(names: readonly string[]): Promise<string[]>;
  /** Whether any key or user is stored. */
  hasCredentials(): Promise<boolean>;
}
