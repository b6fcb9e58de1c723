import { isId, newId, TorkError, type CredentialStore, type Principal, type Role } from '@tork/domain';
import { newApiKey } from '../auth/api-key.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { CredentialPresence } from '../auth/credential-presence.js';
import { hashSecret } from '../auth/secret-hash.js';
import { requireAdmin } from './access.js';

export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
}

export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly name?: string;
  readonly role: Role;
}

export interface UserInfo {
  readonly username: string;
  readonly name?: string;
  readonly role: Role;
  readonly createdAt: string;
}

export interface CredentialServiceDeps {
  readonly store: CredentialStore;
  readonly authenticator: Authenticator;
  readonly presence: CredentialPresence;
}

/**
 * API keys and users, for admins only. Keys and users share one space of names, since a job's
 * permissions name either. Only hashes are stored; a key is shown once, when created.
 */
export class CredentialService {
  constructor(private readonly deps: CredentialServiceDeps) {}

  async createApiKey(
    principal: Principal,
    input: { name: string; role: Role },
  ): Promise<ApiKeyInfo & { key: string }> {
    requireAdmin(principal);
    await this.checkNameFree(input.name);
    const id = newId();
    const key = newApiKey(id);
    const record = {
      id,
      name: input.name,
      role: input.role,
      keyHash: await hashSecret(key),
      createdAt: now(),
    };
    await this.deps.store.createApiKey(record);
    this.deps.presence.created();
    return { id, name: record.name, role: record.role, createdAt: record.createdAt, key };
  }

  async listApiKeys(principal: Principal): Promise<ApiKeyInfo[]> {
    requireAdmin(principal);
    const keys = await this.deps.store.listApiKeys();
    return keys.map(({ id, name, role, createdAt }) => ({ id, name, role, createdAt }));
  }

  /** Revokes a key: it answers 401 from now on (on other replicas once their cache entry expires). */
  async revokeApiKey(principal: Principal, id: string): Promise<void> {
    requireAdmin(principal);
    const deleted = isId(id) && (await this.deps.store.deleteApiKey(id));
    if (!deleted) throw TorkError.notFound('API key', id);
    this.deps.authenticator.forgetApiKey(id);
    this.deps.presence.deleted();
  }

  async createUser(principal: Principal, input: NewUser): Promise<UserInfo> {
    requireAdmin(principal);
    await this.checkNameFree(input.username);
    const record = {
      username: input.username,
      ...(input.name === undefined ? {} : { name: input.name }),
      role: input.role,
      passwordHash: await hashSecret(input.password),
      createdAt: now(),
    };
    await this.deps.store.createUser(record);
    this.deps.presence.created();
    const { username, role, createdAt } = record;
    return { username, role, createdAt, ...(input.name === undefined ? {} : { name: input.name }) };
  }

  private async checkNameFree(name: string): Promise<void> {
    const taken = await this.deps.store.existingNames([name]);
    if (taken.length > 0)
      throw new TorkError('CONFLICT', `the name "${name}" is taken: users and API keys share names`);
  }
}

function now(): string {
  return new Date().toISOString();
}
