import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId, type ApiKeyRecord, type Datastore, type UserRecord } from '@tork/domain';
import { timestamp } from './fixtures.js';

/**
 * Registers the contract of the datastore's `credentials` repository for one adapter. `create`
 * returns an open, empty datastore before each test; after it, the datastore is closed and
 * `cleanup` runs.
 */
export function credentialStoreContract(
  name: string,
  create: () => Promise<Datastore>,
  cleanup?: (datastore: Datastore) => Promise<void>,
): void {
  describe(`${name} (credential store contract)`, () => {
    let store: Datastore;

    beforeEach(async () => {
      store = await create();
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.(store);
    });

    const apiKey = (name: string, offsetMs = 0, fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
      id: newId(),
      name,
      role: 'user',
      keyHash: `scrypt$hash-of-${name}`,
      createdAt: timestamp(offsetMs),
      ...fields,
    });

    const user = (username: string, fields: Partial<UserRecord> = {}): UserRecord => ({
      username,
      role: 'user',
      passwordHash: `scrypt$hash-of-${username}`,
      createdAt: timestamp(),
      ...fields,
    });

    it('has no credentials when empty, and has some once a key or a user is stored', async () => {
      expect(await store.credentials.hasCredentials()).toBe(false);
      await store.credentials.createUser(user('alice'));
      expect(await store.credentials.hasCredentials()).toBe(true);

      const other = await create();
      try {
        expect(await other.credentials.hasCredentials()).toBe(false);
        await other.credentials.createApiKey(apiKey('ci'));
        expect(await other.credentials.hasCredentials()).toBe(true);
      } finally {
        await other.close();
        await cleanup?.(other);
      }
    });

    it('returns a stored key with every field, and lists keys oldest first', async () => {
      const admin = apiKey('deploy', 2_000, { role: 'admin' });
      const ci = apiKey('ci', 1_000);
      await store.credentials.createApiKey(admin);
      await store.credentials.createApiKey(ci);

      expect(await store.credentials.getApiKey(admin.id)).toEqual(admin);
      expect(await store.credentials.getApiKey(newId())).toBeUndefined();
      expect(await store.credentials.listApiKeys()).toEqual([ci, admin]);
    });

    it('refuses a second key with a stored name (CONFLICT) and keeps the first', async () => {
      const first = apiKey('ci');
      await store.credentials.createApiKey(first);

      await expect(
        store.credentials.createApiKey(apiKey('ci', 1_000, { role: 'admin' })),
      ).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await store.credentials.listApiKeys()).toEqual([first]);
    });

    it('deletes a key once: true, then false; the name may then be used again', async () => {
      const key = apiKey('ci');
      await store.credentials.createApiKey(key);

      expect(await store.credentials.deleteApiKey(key.id)).toBe(true);
      expect(await store.credentials.deleteApiKey(key.id)).toBe(false);
      expect(await store.credentials.getApiKey(key.id)).toBeUndefined();
      expect(await store.credentials.hasCredentials()).toBe(false);
      await store.credentials.createApiKey(apiKey('ci', 1_000));
      expect((await store.credentials.listApiKeys()).map((stored) => stored.name)).toEqual(['ci']);
    });

    it('returns a stored user with every field, and one without a display name without one', async () => {
      const alice = user('alice', { name: 'Alice Liddell', role: 'admin' });
      const bob = user('bob');
      await store.credentials.createUser(alice);
      await store.credentials.createUser(bob);

      expect(await store.credentials.getUser('alice')).toEqual(alice);
      const stored = await store.credentials.getUser('bob');
      expect(stored).toEqual(bob);
      expect(stored?.name).toBeUndefined();
      expect(await store.credentials.getUser('carol')).toBeUndefined();
    });

    it('refuses a second user with a stored username (CONFLICT) and keeps the first', async () => {
      const first = user('alice');
      await store.credentials.createUser(first);

      await expect(store.credentials.createUser(user('alice', { role: 'admin' }))).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await store.credentials.getUser('alice')).toEqual(first);
    });

    it('says which names belong to a stored user or key', async () => {
      await store.credentials.createUser(user('alice'));
      await store.credentials.createApiKey(apiKey('ci'));

      expect(await store.credentials.existingNames(['ci', 'nobody', 'alice', 'ci'])).toEqual(['ci', 'alice']);
      expect(await store.credentials.existingNames([])).toEqual([]);
    });

    it('hands out copies: changing a record passed in or returned changes nothing stored', async () => {
      const key = apiKey('ci');
      await store.credentials.createApiKey(key);
      (key as { name: string }).name = 'changed';
      const returned = await store.credentials.getApiKey(key.id);
      (returned as { role: string }).role = 'admin';

      expect(await store.credentials.getApiKey(key.id)).toMatchObject({ name: 'ci', role: 'user' });
    });
  });
}
