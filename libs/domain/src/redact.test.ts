import { describe, expect, it } from 'vitest';
import type { TaskSpec } from './job-spec/types.js';
import {
  isSecretKey,
  REDACTED,
  redactEnv,
  redactTaskSpec,
  redactText,
  redactUrlPasswords,
  SecretPolicy,
  secretValues,
  urlPasswords,
} from './redact.js';

describe('isSecretKey', () => {
  it.each([
    'DB_PASSWORD',
    'password',
    'MySecret',
    'AWS_ACCESS_KEY_ID',
    'aws_access_key',
    'SECRET',
    'API_TOKEN',
    'GITHUB_TOKEN',
    'STRIPE_API_KEY',
    'openai_apikey',
    'SSH_PRIVATE_KEY',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'DB_PASSWD',
    'AUTH_HEADER',
    'BASIC_AUTH',
  ])('treats %s as secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['PATH', 'HOME', 'ACCESS', 'KEY', 'PASS', 'ACCESSKEY', 'DATABASE_URL', 'INTRO'])(
    'treats %s as public',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );

  it('takes a pattern list that replaces the default one, matched in any case', () => {
    const policy = new SecretPolicy(['PIN', 'a.b']);

    expect(policy.isSecretKey('card_pin')).toBe(true);
    expect(policy.isSecretKey('A.B_C')).toBe(true);
    expect(policy.isSecretKey('AXB')).toBe(false);
    expect(policy.isSecretKey('API_TOKEN')).toBe(false);
    expect(new SecretPolicy([]).isSecretKey('PASSWORD')).toBe(false);
  });
});

describe('redactEnv', () => {
  it('replaces only the values of secret keys', () => {
    const env = { INTRO: 'hello world', DB_PASSWORD: 'hunter2', api_secret: 's3cr3t' };
    expect(redactEnv(env)).toEqual({ INTRO: 'hello world', DB_PASSWORD: REDACTED, api_secret: REDACTED });
    expect(env.DB_PASSWORD).toBe('hunter2');
  });
});

describe('URL passwords', () => {
  it('are found and masked in any env value, percent-decoded too', () => {
    const url = 'postgres://tork:p%40ss@db:5432/tork and redis://:r3d1s@cache';

    expect(urlPasswords(url)).toEqual(['p%40ss', 'p@ss', 'r3d1s']);
    expect(redactUrlPasswords(url)).toBe(
      `postgres://tork:${REDACTED}@db:5432/tork and redis://:${REDACTED}@cache`,
    );
  });

  it('leave URLs without a password alone', () => {
    const text = 'https://example.com:8080/path@x https://user@host mailto:a@b';

    expect(urlPasswords(text)).toEqual([]);
    expect(redactUrlPasswords(text)).toBe(text);
  });

  it('never show in a redacted env, and count as secret values', () => {
    const env = { DATABASE_URL: 'postgres://app:hunter2@db/app', INTRO: 'hi' };

    expect(redactEnv(env)).toEqual({ DATABASE_URL: `postgres://app:${REDACTED}@db/app`, INTRO: 'hi' });
    expect(secretValues({ image: 'a', env })).toEqual(['hunter2']);
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

  it('adds the extra values given, and follows the policy given', () => {
    expect(secretValues(spec, new SecretPolicy(['PLAIN']), ['from-elsewhere']).sort()).toEqual([
      'from-elsewhere',
      'visible',
    ]);
  });

  it('shows an encrypted value as redacted whatever its key, and never counts it as a secret value', () => {
    const encrypted: TaskSpec = { image: 'a', env: { ANY: 'enc:v1:k:AAAA', MY_SECRET: 'enc:v1:k:BBBB' } };

    expect(redactTaskSpec(encrypted).env).toEqual({ ANY: REDACTED, MY_SECRET: REDACTED });
    expect(secretValues(encrypted)).toEqual([]);
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

describe('registry passwords and sidecar env', () => {
  const spec: TaskSpec = {
    image: 'registry.local/app',
    registry: { username: 'ci', password: 'reg-pw-1' },
    sidecars: [{ name: 'db', image: 'busybox', env: { DB_PASSWORD: 'side-pw', MODE: 'x' } }],
    pre: [{ image: 'registry.local/tool', registry: { username: 'ci', password: 'reg-pw-2' } }],
    parallel: undefined,
  };

  it('are redacted in a task spec, and are secret values to mask in its output', () => {
    const redacted = redactTaskSpec({ parallel: { tasks: [spec] } });

    expect(redacted.parallel?.tasks[0]?.registry).toEqual({ username: 'ci', password: REDACTED });
    expect(redacted.parallel?.tasks[0]?.pre?.[0]?.registry?.password).toBe(REDACTED);
    expect(redacted.parallel?.tasks[0]?.sidecars?.[0]?.env).toEqual({ DB_PASSWORD: REDACTED, MODE: 'x' });
    expect(JSON.stringify(redacted)).not.toMatch(/reg-pw|side-pw/);
    expect(secretValues(spec).sort()).toEqual(['reg-pw-1', 'reg-pw-2', 'side-pw']);
  });
});
