import { describe, expect, it } from 'vitest';
import { runHealthChecks } from './health.js';

describe('runHealthChecks', () => {
  it('is UP when every check answers', async () => {
    const report = await runHealthChecks({
      datastore: () => Promise.resolve(),
      broker: () => Promise.resolve(),
    });
    expect(report).toEqual({ status: 'UP', checks: { datastore: 'UP', broker: 'UP' }, failures: {} });
  });

  it('is DOWN naming each failed check, with the reasons kept apart for the log', async () => {
    const report = await runHealthChecks({
      datastore: () => Promise.reject(new Error('password authentication failed for user "tork"')),
      broker: () => Promise.resolve(),
    });
    expect(report.status).toBe('DOWN');
    expect(report.checks).toEqual({ datastore: 'DOWN', broker: 'UP' });
    expect(report.failures).toEqual({ datastore: 'password authentication failed for user "tork"' });
  });

  it('counts a check that does not answer in time as DOWN', async () => {
    const report = await runHealthChecks({ hung: () => new Promise<void>(() => undefined) }, 50);
    expect(report.checks).toEqual({ hung: 'DOWN' });
    expect(report.failures).toEqual({ hung: 'no answer within 50 ms' });
  });

  it('runs the checks at once: one may wait for another to start', async () => {
    let markStarted = (): void => undefined;
    const otherStarted = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const report = await runHealthChecks(
      {
        first: () => otherStarted,
        second: () => {
          markStarted();
          return Promise.resolve();
        },
      },
      5000,
    );
    expect(report.checks).toEqual({ first: 'UP', second: 'UP' });
  });
});
