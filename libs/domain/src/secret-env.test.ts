import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from './job-spec/types.js';
import { isEncrypted, Keyring, parseEncryptionKey } from './keyring.js';
import { DEFAULT_SECRET_POLICY } from './redact.js';
import { decryptSecretEnv, encryptSecretEnv } from './secret-env.js';

const keyring = (id: string): Keyring =>
  new Keyring([parseEncryptionKey(`${id}:${randomBytes(32).toString('base64')}`)]);

const spec: JobSpec = {
  tasks: [
    {
      image: 'a',
      env: { API_TOKEN: 'tok-123', DATABASE_URL: 'postgres://u:hunter2@db/x', INTRO: 'hello' },
      pre: [{ image: 'a', env: { MY_PASSWORD: 'pre-pw' } }],
      post: [{ image: 'a' }],
    },
    { image: 'b' },
  ],
};

describe('encryptSecretEnv', () => {
  it('encrypts secret values and values with a URL password, and nothing else', () => {
    const encrypted = encryptSecretEnv(spec, DEFAULT_SECRET_POLICY, keyring('k1'));
    const [task] = encrypted.tasks;

    expect(isEncrypted(task?.env?.['API_TOKEN'] ?? '')).toBe(true);
    expect(isEncrypted(task?.env?.['DATABASE_URL'] ?? '')).toBe(true);
    expect(task?.env?.['INTRO']).toBe('hello');
    expect(isEncrypted(task?.pre?.[0]?.env?.['MY_PASSWORD'] ?? '')).toBe(true);
    expect(JSON.stringify(encrypted)).not.toMatch(/tok-123|hunter2|pre-pw/);
    expect(encrypted.tasks[1]).toEqual({ image: 'b' });
    expect(spec.tasks[0]?.env?.['API_TOKEN']).toBe('tok-123');
  });
});

describe('decryptSecretEnv', () => {
  it('gives back the values as submitted, and the plaintexts (of a URL, its password) as secrets', () => {
    const ring = keyring('k1');
    const [task] = encryptSecretEnv(spec, DEFAULT_SECRET_POLICY, ring).tasks;

    const { spec: decrypted, secrets } = decryptSecretEnv(task!, ring);

    expect(decrypted).toEqual(spec.tasks[0]);
    expect(secrets.sort()).toEqual(['hunter2', 'pre-pw', 'tok-123']);
  });

  it('names the variable and the reason when it cannot decrypt', () => {
    const [task] = encryptSecretEnv(spec, DEFAULT_SECRET_POLICY, keyring('k1')).tasks;

    expect(() => decryptSecretEnv(task!, keyring('k2'))).toThrow(
      'cannot decrypt env API_TOKEN of the task: it was encrypted with key "k1", which is not among this process\'s keys (k2)',
    );
    expect(() => decryptSecretEnv({ image: 'a', pre: [task!.pre![0]!] }, undefined)).toThrow(
      'cannot decrypt env MY_PASSWORD of pre[0]: this worker has no -encryption-key',
    );
  });
});

describe('registry passwords at rest', () => {
  const withRegistry: JobSpec = {
    tasks: [
      {
        each: {
          list: '{{ [1] }}',
          task: {
            image: 'registry.local/app',
            registry: { username: 'ci', password: 'reg-pw' },
            post: [{ image: 'a', registry: { username: 'ci', password: 'post-pw' } }],
            sidecars: [{ name: 'db', image: 'a', env: { DB_PASSWORD: 'side-pw' } }],
          },
        },
      },
    ],
  };

  it('are encrypted with the secret env, sidecars too, and decrypted by a worker with the key', () => {
    const submitted = JSON.stringify(withRegistry);
    const ring = keyring('k1');
    const encrypted = encryptSecretEnv(withRegistry, DEFAULT_SECRET_POLICY, ring);
    const task = encrypted.tasks[0]?.each?.task;

    expect(isEncrypted(task?.registry?.password ?? '')).toBe(true);
    expect(task?.registry?.username).toBe('ci');
    expect(JSON.stringify(encrypted)).not.toMatch(/reg-pw|post-pw|side-pw/);
    const { spec: decrypted, secrets } = decryptSecretEnv(task!, ring);
    expect(decrypted).toEqual(withRegistry.tasks[0]?.each?.task);
    expect(secrets.sort()).toEqual(['post-pw', 'reg-pw', 'side-pw']);
    expect(() => decryptSecretEnv(task!, undefined)).toThrow('this worker has no -encryption-key');
    expect(JSON.stringify(withRegistry)).toBe(submitted);
  });
});
