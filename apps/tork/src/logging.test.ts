import { REDACTED, SecretPolicy } from '@tork/domain';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger, type LogFormat } from './logging.js';
import { UsageError } from './flags.js';

function capture(format: LogFormat = 'json', policy = new SecretPolicy()) {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    format,
    secretPolicy: policy,
    destination: { write: (line: string) => lines.push(line) },
  });
  return { logger, text: () => lines.join('') };
}

describe('the process logger', () => {
  it('never writes a secret env value or a registry password passed in a log object', () => {
    const { logger, text } = capture();
    logger.info(
      {
        task: {
          env: { DB_PASSWORD: 'hunter2-env', GREETING: 'hello' },
          registry: { username: 'me', password: 'hunter2-registry' },
          pre: [{ env: { API_TOKEN: 'hunter2-token' } }],
        },
      },
      'task received',
    );
    expect(text()).not.toContain('hunter2');
    const entry = JSON.parse(text()) as { task: { env: Record<string, string> } };
    expect(entry.task.env).toEqual({ DB_PASSWORD: REDACTED, GREETING: 'hello' });
  });

  it('masks the password of an address in a field and in the message', () => {
    const { logger, text } = capture();
    logger.warn({ url: 'amqp://guest:s3cret@rabbit:5672' }, 'cannot reach postgres://tork:pw-in-msg@db/tork');
    expect(text()).not.toContain('s3cret');
    expect(text()).not.toContain('pw-in-msg');
    expect(text()).toContain(`amqp://guest:${REDACTED}@rabbit:5672`);
  });

  it('follows -secret-key-patterns: a field named by a custom pattern is masked', () => {
    const { logger, text } = capture('json', new SecretPolicy(['LICENCE']));
    logger.info({ env: { VENDOR_LICENCE: 'abc-123', PASSWORD_HINT: 'kept' } }, 'env');
    expect(text()).not.toContain('abc-123');
    expect(text()).toContain('kept');
  });

  it('writes jobId, taskId and nodeId of child loggers as fields', () => {
    const { logger, text } = capture();
    logger.child({ nodeId: 'n1' }).child({ jobId: 'j1', taskId: 't1' }).info({}, 'task started');
    expect(JSON.parse(text())).toMatchObject({
      nodeId: 'n1',
      jobId: 'j1',
      taskId: 't1',
      msg: 'task started',
    });
  });

  it('writes one readable line per entry with -log-format pretty', () => {
    const { logger, text } = capture('pretty');
    logger.child({ jobId: 'j1' }).warn({ attempt: 2, env: { TOKEN: 'zzz' } }, 'task failed');
    expect(text()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}task failed jobId=j1 attempt=2 env=\{"TOKEN":"\[REDACTED\]"\}\n$/,
    );
  });
});

describe('-log-format', () => {
  it('is json by default, pretty on request, and refuses anything else', () => {
    expect(loadConfig([], {}).logFormat).toBe('json');
    expect(loadConfig(['-log-format', 'pretty'], {}).logFormat).toBe('pretty');
    expect(loadConfig([], { TORK_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig(['-log-format', 'xml'], {})).toThrow(UsageError);
  });
});
