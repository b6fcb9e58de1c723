import { describe, expect, it } from 'vitest';
import { cronProblem, dueTick, nextFireTimes, timezoneProblem } from './schedule-ticks.js';

describe('dueTick', () => {
  const everyMinute = { cron: '* * * * *' };

  it('answers the tick at or before now, after the baseline', () => {
    expect(dueTick(everyMinute, '2024-01-01T10:00:30.000Z', '2024-01-01T10:01:00.000Z')).toBe(
      '2024-01-01T10:01:00.000Z',
    );
    expect(dueTick(everyMinute, '2024-01-01T10:00:30.000Z', '2024-01-01T10:01:59.999Z')).toBe(
      '2024-01-01T10:01:00.000Z',
    );
  });

  it('answers nothing when no tick came since the baseline', () => {
    expect(dueTick(everyMinute, '2024-01-01T10:01:00.000Z', '2024-01-01T10:01:59.000Z')).toBeUndefined();
    expect(dueTick(everyMinute, '2024-01-01T10:00:30.000Z', '2024-01-01T10:00:59.999Z')).toBeUndefined();
  });

  it('of many missed ticks, answers only the latest', () => {
    // A scheduler down for three hours: 180 ticks missed, one runs.
    expect(dueTick(everyMinute, '2024-01-01T07:00:00.000Z', '2024-01-01T10:00:42.000Z')).toBe(
      '2024-01-01T10:00:00.000Z',
    );
    // Fired: the next call finds nothing more to run until the next minute.
    expect(dueTick(everyMinute, '2024-01-01T10:00:00.000Z', '2024-01-01T10:00:59.000Z')).toBeUndefined();
  });

  it('reads six fields as seconds first', () => {
    const everyFiveSeconds = { cron: '*/5 * * * * *' };
    expect(dueTick(everyFiveSeconds, '2024-01-01T10:00:00.000Z', '2024-01-01T10:00:07.300Z')).toBe(
      '2024-01-01T10:00:05.000Z',
    );
  });

  it('reads the cron in the time zone given, in UTC without one', () => {
    const nineOClock = { cron: '0 9 * * *' };
    // 09:00 in New York on 15 January (EST, UTC-5) is 14:00 UTC.
    expect(
      dueTick(
        { ...nineOClock, timezone: 'America/New_York' },
        '2024-01-15T00:00:00Z',
        '2024-01-15T20:00:00Z',
      ),
    ).toBe('2024-01-15T14:00:00.000Z');
    expect(dueTick(nineOClock, '2024-01-15T00:00:00Z', '2024-01-15T20:00:00Z')).toBe(
      '2024-01-15T09:00:00.000Z',
    );
    // In July (EDT, UTC-4): 13:00 UTC.
    expect(
      dueTick(
        { ...nineOClock, timezone: 'America/New_York' },
        '2024-07-15T00:00:00Z',
        '2024-07-15T20:00:00Z',
      ),
    ).toBe('2024-07-15T13:00:00.000Z');
  });
});

describe('nextFireTimes', () => {
  it('lists the next fire times after a time', () => {
    expect(nextFireTimes({ cron: '0 */6 * * *' }, '2024-01-01T05:00:00.000Z', 3)).toEqual([
      '2024-01-01T06:00:00.000Z',
      '2024-01-01T12:00:00.000Z',
      '2024-01-01T18:00:00.000Z',
    ]);
  });
});

describe('cronProblem and timezoneProblem', () => {
  it('accepts 5 and 6 fields', () => {
    expect(cronProblem('*/15 * * * *')).toBeUndefined();
    expect(cronProblem('* * * * * *')).toBeUndefined();
  });

  it('says why a cron expression is refused', () => {
    expect(cronProblem('* * * *')).toMatch(/not a cron expression/);
    expect(cronProblem('61 * * * *')).toMatch(/minute/);
    expect(cronProblem('* * * * * * *')).toMatch(/5 or 6/);
    expect(cronProblem('0 0 30 2 *')).toBe('never fires');
    expect(cronProblem(' ')).toMatch(/required/);
  });

  it('accepts IANA zones only', () => {
    expect(timezoneProblem('Europe/Paris')).toBeUndefined();
    expect(timezoneProblem('UTC')).toBeUndefined();
    expect(timezoneProblem('Mars/Olympus')).toMatch(/IANA/);
  });
});
