import type { Insertable, Selectable } from 'kysely';
import type { ApiKeyRecord, Role, UserRecord } from '@tork/domain';
import { iso, optional, type Timestamp } from './columns.js';

export interface ApiKeysTable {
  id: string;
  name: string;
  role: Role;
  key_hash: string;
  created_at: Timestamp;
}

export interface UsersTable {
  username: string;
  name: string | null;
  role: Role;
  password_hash: string;
  created_at: Timestamp;
}

export function apiKeyFromRow(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    keyHash: row.key_hash,
    createdAt: iso(row.created_at),
  };
}

export function apiKeyToRow(key: ApiKeyRecord): Insertable<ApiKeysTable> {
  return { id: key.id, name: key.name, role: key.role, key_hash: key.keyHash, created_at: key.createdAt };
}

export function userFromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    username: row.username,
    ...optional('name', row.name),
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: iso(row.created_at),
  };
}

export function userToRow(user: UserRecord): Insertable<UsersTable> {
  return {
    username: user.username,
    name: user.name ?? null,
    role: user.role,
    password_hash: user.passwordHash,
    created_at: user.createdAt,
  };
}
