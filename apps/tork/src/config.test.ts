import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_CONCURRENCY, loadConfig, redactConfig } from './config.js';
import { unsupportedCombination } from './modes/run-mode.js';
import { UsageError } from './flags.js';

describe('loadConfig', () => {
  it('defaults to standalone on port 3000 with in-memory adapters and the default queue', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      mode: 'standalone',
      broker: 'inmemory',
      datastore: 'inmemory',
      port: 3000,
    });
    expect(config.queues).toEqual({ default: DEFAULT_QUEUE_CONCURRENCY });
  });

  it('takes flags with one or two dashes, spaced or with =', () => {
    const config = loadConfig(
      ['-mode', 'worker', '--broker=rabbitmq', '-rabbitmq-url=amqp://u:p@h:5672', '--port', '8080'],
      {},
    );
    expect(config).toMatchObject({
      mode: 'worker',
      broker: 'rabbitmq',
      rabbitmqUrl: 'amqp://u:p@h:5672',
      port: 8080,
    });
  });

  it('collects repeated -queue flags as the seed writes them', () => {
    const config = loadConfig(['-mode', 'worker', '-queue', 'transcoding:3', '-queue', 'default:10'], {});
    expect(config.queues).toEqual({ transcoding: 3, default: 10 });
  });

  it('parses worker limits', () => {
    const config = loadConfig(
      ['--default-cpus-limit=1.5', '--default-memory-limit', '512m', '--temp-dir', '/var/tmp'],
      {},
    );
    expect(config.defaultCpusLimit).toBe(1.5);
    expect(config.defaultMemoryLimit).toBe(512 * 1024 * 1024);
    expect(config.tempDir).toBe('/var/tmp');
  });

  it.each([
    [['-nope', 'x'], 'unknown flag "-nope"'],
    [['-mode'], 'flag -mode needs a value'],
    [['-mode', 'sideways'], '-mode must be one of'],
    [['-port', 'eighty'], '-port must be a port number'],
    [['-queue', 'transcoding'], '-queue must be NAME:N'],
    [['-queue', 'transcoding:0'], '-queue must be NAME:N'],
    [['-queue', 'jobs:2'], 'not a usable queue name'],
    [['-queue', 'a:1', '-queue', 'a:2'], 'given more than once'],
    [['-mode', 'worker', '-mode', 'api'], 'given more than once'],
    [['--default-memory-limit', '10x'], 'is not a size'],
    [['--default-cpus-limit', '-1'], 'is not a positive number'],
    [['standalone'], 'unexpected argument'],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(UsageError);
    expect(() => loadConfig(argv, {})).toThrow(message);
  });

  it('takes the Docker engine address from DOCKER_HOST unless a flag names one', () => {
    expect(loadConfig([], { DOCKER_HOST: 'tcp://127.0.0.1:2375' }).dockerHost).toBe('tcp://127.0.0.1:2375');
    expect(loadConfig(['-docker-host', 'unix:///x.sock'], { DOCKER_HOST: 'tcp://h:1' }).dockerHost).toBe(
      'unix:///x.sock',
    );
  });

  it('masks passwords before the config is logged', () => {
    const config = loadConfig(
      [
        '-rabbitmq-url',
        'amqp://guest:s3cret@localhost:5672',
        '-postgres-dsn',
        'host=localhost user=tork password=hunter2 dbname=tork',
      ],
      {},
    );
    const logged = JSON.stringify(redactConfig(config));
    expect(logged).not.toContain('s3cret');
    expect(logged).not.toContain('hunter2');
    expect(logged).toContain('amqp://guest:[REDACTED]@localhost:5672');
  });

  it('parses the drain timeout and the pool size', () => {
    expect(loadConfig([], {})).toMatchObject({ drainTimeoutMs: 30_000, postgresPoolSize: 10 });
    expect(loadConfig(['-drain-timeout', '2m', '-postgres-pool-size', '4'], {})).toMatchObject({
      drainTimeoutMs: 120_000,
      postgresPoolSize: 4,
    });
    expect(() => loadConfig(['-drain-timeout', 'soon'], {})).toThrow('-drain-timeout must be a duration');
  });
});

describe('loadConfig: input and secrets', () => {
  const key = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

  it('takes an allowlist of queues', () => {
    expect(loadConfig([], {}).allowedQueues).toBeUndefined();
    expect(loadConfig(['-allowed-queues', 'default, transcoding'], {}).allowedQueues).toEqual([
      'default',
      'transcoding',
    ]);
    expect(() => loadConfig(['-allowed-queues', 'default,amq.x'], {})).toThrow(
      '-allowed-queues "amq.x" is not a usable queue name',
    );
    expect(() => loadConfig(['-allowed-queues', ','], {})).toThrow('needs at least one queue');
  });

  it('masks the default secret key patterns unless -secret-key-patterns replaces them', () => {
    expect(loadConfig([], {}).secretPolicy.isSecretKey('GITHUB_TOKEN')).toBe(true);
    const policy = loadConfig(['-secret-key-patterns', 'PIN,OTP'], {}).secretPolicy;
    expect(policy.keyPatterns).toEqual(['PIN', 'OTP']);
    expect(policy.isSecretKey('card_pin')).toBe(true);
    expect(policy.isSecretKey('GITHUB_TOKEN')).toBe(false);
    expect(() => loadConfig(['-secret-key-patterns', 'A B'], {})).toThrow('-secret-key-patterns must be');
  });

  it('takes encryption keys from repeated flags, first one first', () => {
    const config = loadConfig(['-encryption-key', key('new'), '-encryption-key', key('old')], {});

    expect(config.encryptionKeys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(config.encryptionKeys[0]?.key).toHaveLength(32);
  });

  it('else from TORK_ENCRYPTION_KEYS, else from the file TORK_ENCRYPTION_KEYS_FILE', () => {
    const fromEnv = loadConfig([], { TORK_ENCRYPTION_KEYS: `${key('a')},${key('b')}` });
    const files: Record<string, string> = { '/run/keys': `${key('c')}\n${key('d')}\n` };
    const fromFile = loadConfig([], { TORK_ENCRYPTION_KEYS_FILE: '/run/keys' }, (path) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT: no such file');
      return text;
    });

    expect(fromEnv.encryptionKeys.map((k) => k.id)).toEqual(['a', 'b']);
    expect(fromFile.encryptionKeys.map((k) => k.id)).toEqual(['c', 'd']);
    expect(loadConfig([], {}).encryptionKeys).toEqual([]);
    expect(() =>
      loadConfig([], { TORK_ENCRYPTION_KEYS_FILE: '/nope' }, () => {
        throw new Error('ENOENT: no such file');
      }),
    ).toThrow('TORK_ENCRYPTION_KEYS_FILE (/nope) cannot be read: ENOENT');
  });

  it.each([
    [['-encryption-key', 'k1:c2hvcnQ='], '-encryption-key: encryption key "k1" must be 32 bytes in base64'],
    [['-encryption-key', randomBytes(32).toString('base64')], 'an encryption key is ID:BASE64'],
  ])('rejects a bad key %j', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(UsageError);
    expect(() => loadConfig(argv, {})).toThrow(message);
  });

  it('rejects two keys of one id', () => {
    expect(() => loadConfig([], { TORK_ENCRYPTION_KEYS: `${key('a')},${key('a')}` })).toThrow(
      'TORK_ENCRYPTION_KEYS: key id "a" is given more than once',
    );
  });

  it('never logs key material', () => {
    const text = key('k1');
    const logged = JSON.stringify(redactConfig(loadConfig(['-encryption-key', text], {})));

    expect(logged).not.toContain(text.slice(3));
    expect(logged).toContain('k1:[REDACTED]');
  });
});

describe('unsupportedCombination', () => {
  const check = (argv: string[]): string | undefined => unsupportedCombination(loadConfig(argv, {}));

  it("accepts the seed's commands", () => {
    expect(check(['-mode', 'standalone'])).toBeUndefined();
    expect(check(['-mode', 'standalone', '-datastore', 'postgres'])).toBeUndefined();
    expect(
      check([
        '-mode',
        'coordinator',
        '-broker',
        'rabbitmq',
        '-rabbitmq-url',
        'amqp://guest:guest@localhost:5672',
      ]),
    ).toBeUndefined();
    expect(check(['-mode', 'worker', '-broker', 'rabbitmq'])).toBeUndefined();
    expect(check(['-mode', 'api', '-broker', 'rabbitmq', '-datastore', 'postgres'])).toBeUndefined();
    expect(check(['-mode', 'migration', '-datastore', 'postgres'])).toBeUndefined();
  });

  it('explains combinations that cannot work', () => {
    expect(check(['-mode', 'worker'])).toContain('add -broker rabbitmq');
    expect(check(['-mode', 'scheduler', '-broker', 'rabbitmq'])).toContain('add -datastore postgres');
    expect(check(['-mode', 'migration'])).toContain('needs -datastore postgres');
  });
});
