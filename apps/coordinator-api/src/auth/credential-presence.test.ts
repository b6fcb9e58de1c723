import { InMemoryDatastore } from '@tork/datastore';
import { describe, expect, it } from 'vitest';
import { CredentialPresence } from './credential-presence.js';

const user = {
  username: 'alice',
  role: 'user',
  passwordHash: 'h',
  createdAt: '2024-01-01T00:00:00.000Z',
} as const;

describe('CredentialPresence', () => {
  it('always finds credentials when keys are configured', async () => {
    const { credentials } = new InMemoryDatastore();
    expect(await new CredentialPresence({ store: credentials, staticKeys: true }).exists()).toBe(true);
  });

  it("sees this replica's changes at once, and another replica's once its answer is older than the refresh", async () => {
    const store = new InMemoryDatastore().credentials;
    let now = 0;
    const presence = new CredentialPresence({ store, staticKeys: false, refreshMs: 5_000, now: () => now });
    expect(await presence.exists()).toBe(false);

    await store.createUser(user); // by another replica
    now = 4_999;
    expect(await presence.exists()).toBe(false);
    now = 5_000;
    expect(await presence.exists()).toBe(true);

    presence.deleted();
    expect(await presence.exists()).toBe(true);
  });

  it('keeps its last answer while the store fails, and fails with the store when it has none', async () => {
    const datastore = new InMemoryDatastore();
    let now = 0;
    const presence = new CredentialPresence({
      store: datastore.credentials,
      staticKeys: false,
      now: () => now,
    });
    await datastore.credentials.createUser(user);
    expect(await presence.exists()).toBe(true);
    await datastore.close();

    now = 60_000;
    expect(await presence.exists()).toBe(true);
    const fresh = new CredentialPresence({ store: datastore.credentials, staticKeys: false });
    await expect(fresh.exists()).rejects.toThrow('datastore is closed');
  });
});
