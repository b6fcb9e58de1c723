import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { TorkError, type ApiKeyRecord, type CredentialStore, type UserRecord } from '@tork/domain';
import { apiKeyFromRow, apiKeyToRow, userFromRow, userToRow } from './rows/credentials.js';
import type { Database } from './rows/database.js';

const UNIQUE_VIOLATION = '23505';

/** API keys and users in PostgreSQL (tables `api_keys` and `users`): the datastore's `credentials`. */
export class PostgresCredentialStore implements CredentialStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    await this.insert(
      () => this.db.insertInto('api_keys').values(apiKeyToRow(key)).execute(),
      `an API key named "${key.name}"`,
    );
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : apiKeyFromRow(row);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(apiKeyFromRow);
  }

  async deleteApiKey(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async createUser(user: UserRecord): Promise<void> {
    await this.insert(
      () => this.db.insertInto('users').values(userToRow(user)).execute(),
      `a user named "${user.username}"`,
    );
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row === undefined ? undefined : userFromRow(row);
  }

  async existingNames(names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const list = [...new Set(names)];
    const { rows } = await sql<{ name: string }>`
      select username as name from users where username = any(${list}::text[])
      union
      select name from api_keys where name = any(${list}::text[])`.execute(this.db);
    const found = new Set(rows.map((row) => row.name));
    return list.filter((name) => found.has(name));
  }

  async hasCredentials(): Promise<boolean> {
    const { rows } = await sql<{ found: boolean }>`
      select exists (select 1 from api_keys) or exists (select 1 from users) as found`.execute(this.db);
    return rows[0]?.found === true;
  }

  private async insert(write: () => Promise<unknown>, what: string): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION)
        throw new TorkError('CONFLICT', `${what} already exists`, { cause: error });
      throw error;
    }
  }
}
