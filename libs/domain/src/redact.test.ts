import { describe, expect, it } from 'vitest';
import type { TaskSpec } from './job-spec.schema.js';
import { isSecretKey, REDACTED, redactEnv, redactTaskSpec, redactText, secretValues } from './redact.js';

describe('isSecretKey', () => {
  it.each(['DB_PASSWORD', 'password', 'MySecret', 'AWS_ACCESS_KEY_ID', 'aws_access_key', 'SECRET'])(
    'treats %s as secret',
    (key) => {
      expect(isSecretKey(key)).toBe(true);
    },
  );

  it.each(['PATH', 'HOME', 'ACCESS', 'KEY', 'PASS', 'ACCESSKEY'])('treats %s as public', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('redactEnv', () => {
  it('replaces only the values of secret keys', () => {
    const env = { INTRO: 'hello world', DB_PASSWORD: 'hunter2', api_secret: 's3cr3t' };
    expect(redactEnv(env)).toEqual({ INTRO: 'hello world', DB_PASSWORD: REDACTED, api_secret: REDACTED });
    expect(env.DB_PASSWORD).toBe('hunter2');
  });
});

describe('redactText', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redactText('pw=hunter2 again hunter2, key=abc', ['hunter2', 'abc'])).toBe(
      `pw=${REDACTED} again ${REDACTED}, key=${REDACTED}`,
    );
  });

  it('replaces a secret that contains another secret whole', () => {
    expect(redactText('token abcdef', ['abc', 'abcdef'])).toBe(`token ${REDACTED}`);
  });

  it('ignores empty secrets and leaves text without secrets alone', () => {
    expect(redactText('hello world', ['', 'nope'])).toBe('hello world');
  });
});

describe('secretValues', () => {
  const spec: TaskSpec = {
    image: 'alpine',
    env: { MY_SECRET: 'main-secret', PLAIN: 'visible', EMPTY_PASSWORD: '' },
    pre: [{ image: 'alpine', env: { DB_PASSWORD: 'pre-password' } }],
    post: [{ image: 'alpine', env: { AWS_ACCESS_KEY_ID: 'post-key', OTHER_SECRET: 'main-secret' } }],
  };

  it('collects the secret values of a task and its pre and post tasks, once each', () => {
    expect(secretValues(spec).sort()).toEqual(['main-secret', 'post-key', 'pre-password']);
  });

  it('redacts a whole task spec without changing the original', () => {
    const redacted = redactTaskSpec(spec);
    expect(redacted.env).toEqual({ MY_SECRET: REDACTED, PLAIN: 'visible', EMPTY_PASSWORD: REDACTED });
    expect(redacted.pre?.[0]?.env).toEqual({ DB_PASSWORD: REDACTED });
    expect(redacted.post?.[0]?.env).toEqual({ AWS_ACCESS_KEY_ID: REDACTED, OTHER_SECRET: REDACTED });
    expect(spec.env?.['MY_SECRET']).toBe('main-secret');
    expect(JSON.stringify(redacted)).not.toMatch(/main-secret|pre-password|post-key/);
  });
});
