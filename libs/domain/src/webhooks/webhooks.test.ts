import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isTorkError } from '../errors.js';
import { parseJobSpec } from '../job-spec/parse.js';
import { Keyring } from '../keyring.js';
import { redactWebhooks } from '../redact.js';
import { encryptSecretEnv } from '../secret-env.js';
import { DEFAULT_SECRET_POLICY } from '../redact.js';
import { newJob } from '../workflow/executions.js';
import { refusedAddressReason } from './address-check.js';
import { classifyAttempt, nextDeliveryState, parseRetryAfter, webhookRetryDelay } from './backoff.js';
import { matchWebhooks } from './matching.js';
import { verifyWebhookSignature, webhookSignature } from './signature.js';
import { renderWebhookRequest } from './webhook-secrets.js';

const NOW = Date.UTC(2024, 0, 1, 12);

describe('webhook signature', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<body>", and verifies only the same', () => {
    const signature = webhookSignature('s3cret', '1700000000', '{"a":1}');
    const expected = createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex');
    expect(signature).toBe(`sha256=${expected}`);
    expect(verifyWebhookSignature('s3cret', '1700000000', '{"a":1}', signature)).toBe(true);
    expect(verifyWebhookSignature('s3cret', '1700000001', '{"a":1}', signature)).toBe(false);
    expect(verifyWebhookSignature('other', '1700000000', '{"a":1}', signature)).toBe(false);
  });
});

describe('webhook retries', () => {
  it('waits exponentially longer, with jitter, up to an hour', () => {
    expect(webhookRetryDelay(1, 0)).toBe(500);
    expect(webhookRetryDelay(1, 0.999)).toBeLessThanOrEqual(1000);
    expect(webhookRetryDelay(4, 0)).toBe(4000);
    expect(webhookRetryDelay(40, 0.999)).toBeLessThanOrEqual(3_600_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it('retries network errors, 429 and 5xx; gives up on other answers', () => {
    expect(classifyAttempt({ status: 204 }, NOW).kind).toBe('delivered');
    expect(classifyAttempt({ error: 'ECONNREFUSED' }, NOW).kind).toBe('retry');
    expect(classifyAttempt({ status: 503 }, NOW).kind).toBe('retry');
    expect(classifyAttempt({ status: 429, retryAfter: '7' }, NOW)).toEqual({
      kind: 'retry',
      error: 'HTTP 429',
      retryAfterMs: 7000,
    });
    expect(classifyAttempt({ status: 404 }, NOW).kind).toBe('rejected');
    expect(classifyAttempt({ status: 302 }, NOW).kind).toBe('rejected');
  });

  it('honours a Retry-After longer than the backoff, and gives up past 24 hours', () => {
    const created = new Date(NOW).toISOString();
    const later = nextDeliveryState(
      { attempts: 0, createdAt: created },
      { kind: 'retry', error: 'HTTP 429', retryAfterMs: 60_000 },
      NOW,
      0,
    );
    expect(later).toMatchObject({
      state: 'PENDING',
      attempts: 1,
      nextAttemptAt: new Date(NOW + 60_000).toISOString(),
    });
    const late = nextDeliveryState(
      { attempts: 20, createdAt: created },
      { kind: 'retry', error: 'HTTP 503' },
      NOW + 23.9 * 3_600_000,
      0.5,
    );
    expect(late).toMatchObject({ state: 'FAILED', attempts: 21, lastError: 'HTTP 503' });
  });
});

describe('webhook addresses', () => {
  it('refuses link-local and cloud metadata addresses, in any spelling', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.1.1',
      'fe80::1',
      'fd00:ec2::254',
      'fd00:ec2:0:0:0:0:0:254',
      '100.100.100.200',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '[fe80::abcd]',
    ])
      expect(refusedAddressReason(address), address).toBeDefined();
  });

  it('allows loopback, private and public addresses', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.1', '172.16.0.1', 'fd12::1', '8.8.8.8'])
      expect(refusedAddressReason(address), address).toBeUndefined();
  });
});

describe('webhooks in a job spec', () => {
  const spec = (webhooks: unknown) =>
    parseJobSpec({ name: 'j', tasks: [{ image: 'busybox', run: 'true' }], webhooks });

  it('refuses a URL that is not http(s), an unknown event and a bad if, each with its path', () => {
    try {
      spec([
        { url: 'ftp://example.com/hook' },
        { url: 'https://example.com', event: 'job.Whatever' },
        { url: 'https://example.com', if: 'job.state ==' },
        { url: 'https://example.com', headers: { 'bad header': 'x' } },
      ]);
      expect.unreachable();
    } catch (error) {
      expect(isTorkError(error)).toBe(true);
      const paths = (isTorkError(error) ? error.problems : []).map((p) => p.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'webhooks[0].url',
          'webhooks[1].event',
          'webhooks[2].if',
          'webhooks[3].headers.bad header',
        ]),
      );
    }
  });

  it('takes them on sub-jobs too', () => {
    const parsed = parseJobSpec({
      name: 'j',
      tasks: [{ subjob: { tasks: [{ image: 'busybox' }], webhooks: [{ url: 'http://127.0.0.1:9/x' }] } }],
    });
    expect(parsed.tasks[0]?.subjob?.webhooks).toEqual([{ url: 'http://127.0.0.1:9/x' }]);
  });

  it('encrypts secret header values at rest, redacts them in views, and sends them in clear', () => {
    const keyring = new Keyring([{ id: 'k1', key: Buffer.alloc(32, 7) }]);
    const sealed = encryptSecretEnv(
      spec([
        {
          url: 'https://example.com/hook',
          headers: { Authorization: 'Bearer abc', 'X-Api-Key': 'k-123', 'X-Trace': '{{ job.id }}' },
        },
      ]),
      DEFAULT_SECRET_POLICY,
      keyring,
    );
    const webhook = sealed.webhooks?.[0];
    expect(webhook?.headers?.['Authorization']).not.toContain('abc');
    expect(webhook?.headers?.['X-Trace']).toBe('{{ job.id }}');
    expect(redactWebhooks(sealed.webhooks ?? [])[0]?.headers).toEqual({
      Authorization: '[REDACTED]',
      'X-Api-Key': '[REDACTED]',
      'X-Trace': '{{ job.id }}',
    });
    const request = renderWebhookRequest(
      webhook ?? { url: '' },
      { inputs: {}, secrets: {}, job: { id: 'j1', name: 'j' } },
      keyring,
    );
    expect(request.headers).toEqual({ Authorization: 'Bearer abc', 'X-Api-Key': 'k-123', 'X-Trace': 'j1' });
  });
});

describe('webhook matching', () => {
  const job = newJob(
    parseJobSpec({
      name: 'j',
      tasks: [{ image: 'busybox' }],
      webhooks: [
        { url: 'https://a.example/any' },
        { url: 'https://a.example/go', if: "job.State == 'COMPLETED'" },
        { url: 'https://a.example/camel', if: "job.state == 'COMPLETED'" },
        { url: 'https://a.example/tasks', event: 'task.StateChange' },
      ],
    }),
    new Date(NOW).toISOString(),
  );

  it("sends a job's state change to the webhooks of that event whose if holds (Go or camelCase names)", () => {
    const running = matchWebhooks({ event: 'job.StateChange', job, jobState: 'RUNNING', secrets: [] });
    const completed = matchWebhooks({ event: 'job.StateChange', job, jobState: 'COMPLETED', secrets: [] });
    expect(running.matches.map((m) => m.webhookIndex)).toEqual([0]);
    expect(completed.matches.map((m) => m.webhookIndex)).toEqual([0, 1, 2]);
    expect(JSON.parse(completed.matches[0]?.body ?? '{}')).toMatchObject({ id: job.id, state: 'COMPLETED' });
  });

  it('masks secrets in the body', () => {
    const failed = matchWebhooks({
      event: 'job.StateChange',
      job: { ...job, error: 'could not log in with hunter2' },
      jobState: 'FAILED',
      secrets: ['hunter2'],
    });
    expect(JSON.parse(failed.matches[0]?.body ?? '{}')).toMatchObject({
      error: 'could not log in with [REDACTED]',
    });
  });
});
