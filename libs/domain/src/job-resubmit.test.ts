import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resubmittableSpec } from './job-resubmit.js';
import type { Job } from './job.js';
import { Keyring, parseEncryptionKey } from './keyring.js';
import { SecretPolicy } from './redact.js';
import { encryptSecretEnv } from './secret-env.js';
import { newJob } from './workflow/index.js';

const keyring = new Keyring([parseEncryptionKey(`k1:${randomBytes(32).toString('base64')}`)]);

const stored = (): Job => {
  const spec = encryptSecretEnv(
    {
      name: 'deploy',
      tags: ['prod'],
      inputs: { target: 'eu' },
      secrets: { token: 'tok-123' },
      tasks: [
        { name: 'push', image: 'alpine', run: 'push', env: { API_PASSWORD: 'hunter2', MODE: 'fast' } },
        { name: 'fan', parallel: { tasks: [{ name: 'a', image: 'alpine', env: { DB_SECRET: 's3' } }] } },
      ],
    },
    new SecretPolicy(),
    keyring,
  );
  return { ...newJob(spec, '2026-01-01T00:00:00.000Z'), state: 'FAILED', error: 'exit code 1', position: 2 };
};

describe('resubmittableSpec', () => {
  it('gives back the definition with its secrets in clear when the keyring reads them', () => {
    const spec = resubmittableSpec(stored(), keyring);

    expect(spec).toEqual({
      name: 'deploy',
      tags: ['prod'],
      inputs: { target: 'eu' },
      secrets: { token: 'tok-123' },
      tasks: [
        { name: 'push', image: 'alpine', run: 'push', env: { API_PASSWORD: 'hunter2', MODE: 'fast' } },
        { name: 'fan', parallel: { tasks: [{ name: 'a', image: 'alpine', env: { DB_SECRET: 's3' } }] } },
      ],
    });
  });

  it('keeps encrypted values as stored without a keyring (the workers decrypt them)', () => {
    const job = stored();
    const spec = resubmittableSpec(job, undefined);

    expect(spec.secrets).toEqual(job.secrets);
    expect(spec.tasks[0]?.env?.['API_PASSWORD']).toMatch(/^enc:v1:k1:/);
    expect(spec).not.toHaveProperty('error');
    expect(spec).not.toHaveProperty('state');
  });
});
