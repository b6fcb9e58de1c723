import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeFeatures } from '@tork/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_CONCURRENCY, FLAGS, loadConfig, redactConfig } from './config.js';
import { unsupportedCombination } from './modes/run-mode.js';
import { jobSpecPolicyOf } from './modes/services.js';
import { resolveFlags, usage, UsageError, type FlagSpec } from './flags.js';

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

  it('takes -rabbitmq-management-url (or its variable), masked when logged, and none by default', () => {
    expect(loadConfig([], {}).rabbitmqManagementUrl).toBeUndefined();
    const config = loadConfig([], { TORK_RABBITMQ_MANAGEMENT_URL: 'http://admin:s3cret@mq:15672' });
    expect(config.rabbitmqManagementUrl).toBe('http://admin:s3cret@mq:15672');
    expect(JSON.stringify(redactConfig(config))).not.toContain('s3cret');
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

  it('masks a quoted DSN password that holds spaces, and URL passwords in any position', () => {
    const config = loadConfig(
      [
        '-postgres-dsn',
        "host=db user=tork password='hunter2 with spaces\\' too' dbname=tork",
        '-rabbitmq-url',
        'amqps://tork:p%40ss%20word@mq.example.com:5671/prod?heartbeat=10',
      ],
      {},
    );
    const redacted = redactConfig(config);
    expect(redacted['postgresDsn']).toBe('host=db user=tork password=[REDACTED] dbname=tork');
    expect(redacted['rabbitmqUrl']).toBe('amqps://tork:[REDACTED]@mq.example.com:5671/prod?heartbeat=10');
    const logged = JSON.stringify(redacted);
    for (const fragment of ['hunter2', 'spaces', "\\' too", 'p%40ss', '%20word'])
      expect(logged).not.toContain(fragment);
  });

  it('masks a password given as a URL parameter, and masks whole what it cannot read', () => {
    const masked = (dsn: string): unknown =>
      redactConfig(loadConfig(['-postgres-dsn', dsn], {}))['postgresDsn'];
    expect(masked('postgres://tork@db/tork?password=hunter2&sslmode=require')).toBe(
      'postgres://tork@db/tork?password=[REDACTED]&sslmode=require',
    );
    expect(masked("host=db password='unterminated hunter2")).toBe('[REDACTED]');
    expect(masked('postgres://[broken hunter2')).toBe('[REDACTED]');
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
    ).toThrow('TORK_ENCRYPTION_KEYS_FILE names /nope, which cannot be read');
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
      '-encryption-key: key id "a" is given more than once',
    );
  });

  it('never logs key material', () => {
    const text = key('k1');
    const logged = JSON.stringify(redactConfig(loadConfig(['-encryption-key', text], {})));

    expect(logged).not.toContain(text.slice(3));
    expect(logged).toContain('k1:[REDACTED]');
  });
});

describe('credentials from the environment and files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tork-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads the DSN and the URL from TORK_POSTGRES_DSN and TORK_RABBITMQ_URL, with no warning', () => {
    const config = loadConfig([], {
      TORK_POSTGRES_DSN: 'host=db user=u password=env-secret dbname=d',
      TORK_RABBITMQ_URL: 'amqp://u:env-secret@mq:5672',
    });
    expect(config.postgresDsn).toBe('host=db user=u password=env-secret dbname=d');
    expect(config.rabbitmqUrl).toBe('amqp://u:env-secret@mq:5672');
    expect(config.warnings).toEqual([]);
  });

  it('reads *_FILE, trimmed (a Kubernetes or compose secret ends with a newline)', () => {
    const config = loadConfig([], {
      TORK_POSTGRES_DSN_FILE: file('dsn', 'postgres://u:file-secret@db:5432/d\n'),
      TORK_RABBITMQ_URL_FILE: file('url', '  amqp://u:file-secret@mq:5672  \n'),
    });
    expect(config.postgresDsn).toBe('postgres://u:file-secret@db:5432/d');
    expect(config.rabbitmqUrl).toBe('amqp://u:file-secret@mq:5672');
  });

  it('takes the flag first, then the variable, then the file, then the default', () => {
    const env = {
      TORK_POSTGRES_DSN: 'host=from-env',
      TORK_POSTGRES_DSN_FILE: file('dsn', 'host=from-file'),
    };
    expect(loadConfig(['-postgres-dsn', 'host=from-flag'], env).postgresDsn).toBe('host=from-flag');
    expect(loadConfig([], env).postgresDsn).toBe('host=from-env');
    expect(loadConfig([], { TORK_POSTGRES_DSN_FILE: env.TORK_POSTGRES_DSN_FILE }).postgresDsn).toBe(
      'host=from-file',
    );
    expect(loadConfig([], { TORK_POSTGRES_DSN: '' }).postgresDsn).toContain('host=localhost');
  });

  it('warns when a secret is given on the command line, naming the variables to use instead', () => {
    const config = loadConfig(['-rabbitmq-url', 'amqp://u:p@mq', '-postgres-dsn', 'host=db'], {});
    expect(config.warnings).toEqual([
      expect.stringMatching(
        /^-rabbitmq-url was given on the command line.*TORK_RABBITMQ_URL or TORK_RABBITMQ_URL_FILE/,
      ),
      expect.stringMatching(
        /^-postgres-dsn was given on the command line.*TORK_POSTGRES_DSN or TORK_POSTGRES_DSN_FILE/,
      ),
    ]);
    expect(JSON.stringify(config.warnings)).not.toContain('amqp://u:p@mq');
  });

  it('refuses a *_FILE that cannot be read or is empty, without showing any content', () => {
    expect(() => loadConfig([], { TORK_POSTGRES_DSN_FILE: join(dir, 'missing') })).toThrow(
      /TORK_POSTGRES_DSN_FILE names .*missing, which cannot be read \(ENOENT\)/,
    );
    expect(() => loadConfig([], { TORK_RABBITMQ_URL_FILE: file('empty', '\n') })).toThrow(
      /TORK_RABBITMQ_URL_FILE names .*empty, which is empty/,
    );
  });

  it('a repeatable secret flag reads a comma- or newline-separated list (how -api-key can join in one line)', () => {
    const specs: FlagSpec[] = [
      { name: 'key', value: 'KEY', help: '', repeatable: true, env: 'KEYS', secret: true },
    ];
    expect(resolveFlags([], specs, { KEYS: 'a, b,,c' }).values.get('key')).toEqual(['a', 'b', 'c']);
    expect(resolveFlags([], specs, { KEYS_FILE: '/keys' }, () => 'x\ny\n').values.get('key')).toEqual([
      'x',
      'y',
    ]);
    expect(resolveFlags(['-key', 'z', '-key', 'w'], specs, { KEYS: 'a' }).values.get('key')).toEqual([
      'z',
      'w',
    ]);
  });

  it('names the variables in the usage text', () => {
    expect(usage(FLAGS)).toMatch(/-postgres-dsn DSN .*\(env TORK_POSTGRES_DSN or TORK_POSTGRES_DSN_FILE\)/);
  });
});

describe('HTTP and sweep settings', () => {
  it('has defaults: 50 submissions a second, a 30 s request timeout, no CORS, a 5 min scheduled timeout', () => {
    expect(loadConfig([], {})).toMatchObject({
      rateLimit: 50,
      requestTimeoutMs: 30_000,
      corsOrigins: [],
      scheduledTimeoutMs: 300_000,
    });
  });

  it('parses them, -rate-limit 0 turning the limit off', () => {
    expect(
      loadConfig(
        [
          '-rate-limit',
          '0',
          '-request-timeout',
          '5s',
          '-cors-origin',
          'https://a.example.com',
          '-cors-origin',
          'http://localhost:5173',
          '-scheduled-timeout',
          '90s',
        ],
        {},
      ),
    ).toMatchObject({
      rateLimit: 0,
      requestTimeoutMs: 5000,
      corsOrigins: ['https://a.example.com', 'http://localhost:5173'],
      scheduledTimeoutMs: 90_000,
    });
  });

  it.each([
    [['-rate-limit', '-1'], '-rate-limit must be a whole number'],
    [['-rate-limit', 'many'], '-rate-limit must be a whole number'],
    [['-cors-origin', '*'], '-cors-origin must be an origin'],
    [['-cors-origin', 'https://a.example.com/'], '-cors-origin must be an origin'],
    [['-request-timeout', 'later'], '-request-timeout must be a duration'],
  ])('rejects %j', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(message);
  });
});

describe('retention settings', () => {
  it('keeps logs a week, finished jobs 90 days and 10,000 finished jobs in memory by default', () => {
    expect(loadConfig([], {})).toMatchObject({
      retentionLogsMs: 168 * 3_600_000,
      retentionJobsMs: 2160 * 3_600_000,
      inMemoryMaxJobs: 10_000,
    });
  });

  it('parses them, 0 keeping logs or jobs forever', () => {
    expect(
      loadConfig(['-retention-logs', '24h', '-retention-jobs', '0', '-inmemory-max-jobs', '50'], {}),
    ).toMatchObject({ retentionLogsMs: 24 * 3_600_000, retentionJobsMs: 0, inMemoryMaxJobs: 50 });
  });

  it.each([
    [['-retention-logs', 'a week'], '-retention-logs must be a duration'],
    [['-retention-jobs', '-1h'], '-retention-jobs must be a duration'],
    [['-inmemory-max-jobs', '0'], '-inmemory-max-jobs must be a positive integer'],
  ])('rejects %j', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(message);
  });
});

const ALL_FEATURES: RuntimeFeatures = {
  images: true,
  cmd: true,
  entrypoint: true,
  files: true,
  workdir: true,
  mounts: ['volume', 'tmpfs', 'bind'],
  networks: true,
  sidecars: true,
  registry: true,
  gpus: true,
  limits: true,
  user: true,
};

describe('loadConfig: task containers', () => {
  it("defaults to no ceilings, binds off, the engine's network, 1024 pids, no capability back, busybox probes", () => {
    const config = loadConfig([], {});

    expect(config.workerPolicy).toEqual({});
    expect(config.container).toEqual({
      pidsLimit: 1024,
      capAdd: [],
      privileged: false,
      readOnlyRootfs: false,
      probeImage: 'busybox',
      pullPolicy: 'missing',
    });
    expect(config.shell).toEqual({});
    expect(config.warnings).toEqual([]);
  });

  it('parses the ceilings, bind prefixes (repeated or comma lists) and hardening flags', () => {
    const config = loadConfig(
      [
        ...['-max-cpus', '4', '-max-memory', '8g', '-max-timeout', '6h'],
        ...[
          '-mounts-bind-allowed',
          '-mounts-bind-prefix',
          '/srv/data/,/mnt/in',
          '-mounts-bind-prefix',
          '/opt',
        ],
        ...['-default-network', 'none', '-pids-limit', '256', '-cap-add', 'net_raw,CAP_SYS_PTRACE'],
        ...['-cap-add', 'NET_RAW', '-read-only-rootfs', '-probe-image', 'tork/busybox'],
        ...['-pull-policy', 'always'],
      ],
      {},
    );

    expect(config.workerPolicy).toEqual({
      maxCpus: 4,
      maxMemoryBytes: 8 * 1024 ** 3,
      maxTimeoutMs: 6 * 3_600_000,
      bindPrefixes: ['/srv/data/', '/mnt/in', '/opt'],
    });
    expect(config.container).toEqual({
      defaultNetwork: 'none',
      pidsLimit: 256,
      capAdd: ['NET_RAW', 'SYS_PTRACE'],
      privileged: false,
      readOnlyRootfs: true,
      probeImage: 'tork/busybox',
      pullPolicy: 'always',
    });
    expect(() => loadConfig(['-pull-policy', 'sometimes'], {})).toThrow(
      '-pull-policy must be one of missing, always, never; got "sometimes"',
    );
  });

  it('warns when containers run privileged, and when shell tasks would run as root', () => {
    expect(loadConfig(['-privileged'], {}).warnings).toEqual([
      '-privileged: task containers run privileged and can take over this host',
    ]);
    expect(loadConfig(['-runtime', 'shell'], {}, undefined, 0).warnings).toEqual([
      "-runtime shell runs tasks as root, the engine's own user: give -shell-uid and -shell-gid",
    ]);
    const shell = loadConfig(
      ['-runtime', 'shell', '-shell-uid', '1000', '-shell-gid', '100'],
      {},
      undefined,
      0,
    );
    expect(shell.warnings).toEqual([]);
    expect(shell.shell).toEqual({ uid: 1000, gid: 100 });
    expect(loadConfig(['-runtime', 'shell'], {}, undefined, 1000).warnings).toEqual([]);
  });

  it.each([
    [['-max-cpus', 'lots'], '-max-cpus "lots" is not a positive number of CPUs'],
    [['-max-memory', '8x'], '-max-memory "8x" is not a size'],
    [['-max-timeout', 'forever'], '-max-timeout must be a duration'],
    [['-mounts-bind-allowed'], '-mounts-bind-allowed needs at least one -mounts-bind-prefix'],
    [['-mounts-bind-prefix', '/srv'], '-mounts-bind-prefix needs -mounts-bind-allowed'],
    [
      ['-mounts-bind-allowed', '-mounts-bind-prefix', 'srv'],
      '-mounts-bind-prefix "srv" must be an absolute path',
    ],
    [['-mounts-bind-allowed', '-mounts-bind-prefix', '/srv/../etc'], 'without ".."'],
    [['-default-network', 'my net'], '-default-network "my net" is not a Docker network name'],
    [['-pids-limit', '0'], '-pids-limit must be a whole number of at least 16'],
    [['-cap-add', 'NET_MAGIC'], '-cap-add "NET_MAGIC" is not a Linux capability'],
    [['-shell-uid', '-1'], '-shell-uid must be a numeric id, 0 or more; got "-1"'],
    [['-shell-gid', 'staff'], '-shell-gid must be a numeric id'],
    [['-runtime', 'podman'], '-runtime must be one of docker, shell, noop'],
  ])('rejects %j naming the flag', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(UsageError);
    expect(() => loadConfig(argv, {})).toThrow(message);
  });
});

describe('jobSpecPolicyOf: what the API refuses', () => {
  it("takes the workers' policy from the same flags, and needs no image where tasks run without one", () => {
    const config = loadConfig(['-mode', 'api', '-max-cpus', '2', '-allowed-queues', 'a,b'], {});
    const noImages = { ...ALL_FEATURES, images: false };

    expect(jobSpecPolicyOf(config, undefined)).toEqual({
      allowedQueues: ['a', 'b'],
      worker: { maxCpus: 2 },
      imagesOptional: false,
    });
    expect(jobSpecPolicyOf(config, noImages)).toMatchObject({ features: noImages, imagesOptional: true });
    expect(
      jobSpecPolicyOf(loadConfig(['-runtime', 'shell'], {}, undefined, 1000), undefined).imagesOptional,
    ).toBe(true);
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

describe('webhook flags', () => {
  it('reads -webhook-secret from TORK_WEBHOOK_SECRET or its file, masks it, and leaves link-local refused by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tork-webhook-'));
    try {
      const file = join(dir, 'secret');
      writeFileSync(file, 'from-a-file\n');
      const fromEnv = loadConfig([], { TORK_WEBHOOK_SECRET: 'from-env' });
      const fromFile = loadConfig([], { TORK_WEBHOOK_SECRET_FILE: file });

      expect(fromEnv.webhookSecret).toBe('from-env');
      expect(fromFile.webhookSecret).toBe('from-a-file');
      expect(fromEnv.webhookAllowLinkLocal).toBe(false);
      expect(loadConfig(['-webhook-allow-link-local'], {}).webhookAllowLinkLocal).toBe(true);
      expect(loadConfig([], {}).webhookSecret).toBeUndefined();
      expect(JSON.stringify(redactConfig(fromEnv))).not.toContain('from-env');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds a delivery 30 s by default; -webhook-lease sets it, never under twice the request timeout', () => {
    expect(loadConfig([], {}).webhookLeaseMs).toBe(30_000);
    expect(loadConfig(['-webhook-lease', '10s'], {}).webhookLeaseMs).toBe(10_000);
    expect(() => loadConfig(['-webhook-lease', '9s'], {})).toThrow(
      '-webhook-lease must be at least 10s, twice a webhook request\'s timeout; got "9s"',
    );
    expect(() => loadConfig(['-webhook-lease', 'soon'], {})).toThrow('-webhook-lease must be a duration');
  });
});
